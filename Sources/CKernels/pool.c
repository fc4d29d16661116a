// One pool of threads for every parallel loop in vaepipe: the GEMM and the elementwise
// kernels share it, so no two runtimes spin against each other for the same cores.
//
// A job is published as a 64-bit ticket, (generation << 32) | next task. Threads claim tasks
// by compare-and-swap on the ticket, so a thread still looking at an old job can never claim
// a task of a new one; jobs alternate between two slots for the same reason. Idle workers
// spin for about a millisecond (training calls come back to back) and then sleep on a futex.
//
// When another process takes a core, a worker can be paused by the OS in the middle of a task
// and the caller waits for it: slower than doing everything alone. The caller measures how long
// it waits for the others after its own share; when that is a large part of the calls' time
// over a window of calls, it runs the next calls alone (the workers go to sleep), then tries
// the pool again, backing off longer each time the contention is still there. A task computes
// the same numbers on any thread, so results do not depend on which threads ran it.
#define _GNU_SOURCE
#include "CKernels.h"
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define MAX_THREADS 64
#define WORKER_SPINS 40000   // pauses before a worker sleeps (~1 ms)
#define CALLER_SPINS 4000    // pauses before a waiting caller starts yielding its core
#define WINDOW_CALLS 64      // parallel calls per measurement window
#define WAIT_SHARE 0.3       // waiting this share of the window's time means contention
#define SOLO_CALLS_MIN 256   // calls run alone after contention (doubling while it lasts)
#define SOLO_CALLS_MAX 16384

// fn and ctx are read only by a thread that has claimed one of the job's tasks, which the caller
// cannot have finished waiting for; `tasks` is also read by a worker deciding that an older job
// of the same slot is over while the caller already fills the slot again, so it is atomic.
typedef struct {
    vp_task_fn fn;
    void *ctx;
    _Atomic long tasks;
    _Atomic long done;
} job_t;

static struct {
    _Atomic int threads;         // including the caller (vp_set_threads changes it between calls)
    int started;                 // workers running
    _Atomic uint64_t ticket;
    _Atomic uint32_t generation; // the ticket's generation, as a futex word
    _Atomic int sleepers;
    _Atomic int busy;
    job_t jobs[2];
    // Contention tracking; only the caller holding `busy` touches these.
    long window_calls, solo_left, solo_next;
    _Atomic long calls, solo_calls;
    double window_seconds, window_wait;
} pool;

double vp_seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pool_resize = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int in_task;

static void futex_wait(_Atomic uint32_t *word, uint32_t expected) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
#else
    (void)word; (void)expected; sched_yield();
#endif
}

static void futex_wake_all(_Atomic uint32_t *word) {
#if defined(__linux__)
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

/// Claims and runs tasks of generation `gen` until none is left.
static void run_tasks(uint32_t gen) {
    job_t *job = &pool.jobs[gen & 1];
    uint64_t t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    while ((uint32_t)(t >> 32) == gen && (long)(uint32_t)t < atomic_load_explicit(&job->tasks, memory_order_relaxed)) {
        if (atomic_compare_exchange_weak_explicit(&pool.ticket, &t, t + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            job->fn(job->ctx, (long)(uint32_t)t);
            atomic_fetch_add_explicit(&job->done, 1, memory_order_release);
            t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
        }
    }
}

static void *worker_main(void *arg) {
    int thread = (int)(intptr_t)arg;
    in_task = 1;  // a task that calls vp_parallel runs its inner loop inline
    uint32_t seen = atomic_load(&pool.generation);
    for (;;) {
        uint32_t gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (++spins < WORKER_SPINS) { cpu_relax(); continue; }
            atomic_fetch_add(&pool.sleepers, 1);
            if (atomic_load(&pool.generation) == seen) futex_wait(&pool.generation, seen);
            atomic_fetch_sub(&pool.sleepers, 1);
            spins = 0;
        }
        seen = gen;
        if (thread < atomic_load_explicit(&pool.threads, memory_order_relaxed)) run_tasks(gen);
    }
    return NULL;
}

static int default_threads(void) {
    const char *names[] = {"VAEPIPE_THREADS", "OMP_NUM_THREADS"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (v && atoi(v) > 0) return atoi(v) < MAX_THREADS ? atoi(v) : MAX_THREADS;
    }
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n < MAX_THREADS ? n : MAX_THREADS;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : (int)n);
}

static void start_workers(int threads) {
    for (int w = pool.started + 1; w < threads; w++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, (void *)(intptr_t)w) != 0) { pthread_attr_destroy(&attr); break; }
        pthread_attr_destroy(&attr);
        pool.started = w;
    }
    pool.threads = pool.started + 1 < threads ? pool.started + 1 : threads;
}

static void pool_init(void) { start_workers(default_threads()); }

int vp_threads(void) {
    pthread_once(&pool_once, pool_init);
    return pool.threads;
}

void vp_set_threads(int threads) {
    pthread_once(&pool_once, pool_init);
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    pthread_mutex_lock(&pool_resize);
    if (threads > pool.started + 1) start_workers(threads);
    else pool.threads = threads;
    pthread_mutex_unlock(&pool_resize);
}

void vp_parallel(long tasks, vp_task_fn fn, void *ctx) {
    if (tasks <= 0) return;
    pthread_once(&pool_once, pool_init);
    int expected = 0;
    if (tasks == 1 || pool.threads == 1 || in_task ||
        !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
        for (long t = 0; t < tasks; t++) fn(ctx, t);
        return;
    }
    atomic_fetch_add_explicit(&pool.calls, 1, memory_order_relaxed);
    if (pool.solo_left > 0) {
        pool.solo_left--;
        atomic_fetch_add_explicit(&pool.solo_calls, 1, memory_order_relaxed);
        atomic_store_explicit(&pool.busy, 0, memory_order_release);
        for (long t = 0; t < tasks; t++) fn(ctx, t);
        return;
    }
    double start = vp_seconds_now();
    uint32_t gen = atomic_load(&pool.generation) + 1;
    job_t *job = &pool.jobs[gen & 1];
    job->fn = fn; job->ctx = ctx;
    atomic_store_explicit(&job->tasks, tasks, memory_order_relaxed);
    atomic_store_explicit(&job->done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.ticket, (uint64_t)gen << 32, memory_order_release);
    atomic_store(&pool.generation, gen);
    if (atomic_load(&pool.sleepers) > 0) futex_wake_all(&pool.generation);

    in_task = 1;
    run_tasks(gen);
    in_task = 0;
    // Every task is claimed; wait for the ones other threads are still running.
    double own = vp_seconds_now();
    for (int spins = 0; atomic_load_explicit(&job->done, memory_order_acquire) < tasks; spins++) {
        if (spins < CALLER_SPINS) cpu_relax(); else sched_yield();
    }
    double end = vp_seconds_now();
    pool.window_seconds += end - start;
    pool.window_wait += end - own;
    if (++pool.window_calls == WINDOW_CALLS) {
        if (pool.window_wait > WAIT_SHARE * pool.window_seconds) {
            pool.solo_next = pool.solo_next ? pool.solo_next * 2 : SOLO_CALLS_MIN;
            if (pool.solo_next > SOLO_CALLS_MAX) pool.solo_next = SOLO_CALLS_MAX;
            pool.solo_left = pool.solo_next;
        } else {
            pool.solo_next = 0;
        }
        pool.window_calls = 0;
        pool.window_seconds = pool.window_wait = 0;
    }
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
}

void vp_pool_counts(long *calls, long *solo_calls) {
    *calls = atomic_load(&pool.calls);
    *solo_calls = atomic_load(&pool.solo_calls);
}
