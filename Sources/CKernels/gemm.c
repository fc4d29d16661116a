#include "CKernels.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int trans_a, trans_b;
    long m, n, k;
    long lda, ldb;       // leading dimensions (k or m for A, n or k for B, unless narrowed)
    const float *a, *b;
    float *c;
    vp_epilogue ep;
    long mc, nc, nchunks_n;
    vp_isa isa;
    const vp_parts *parts;  // nullable: the depth's parts, when one block holds the whole depth
    int skip_zeros;         // pack_a may drop A's all-zero depth steps (see drop_zero_steps)
} gemm_job;

#define PART_LEVELS 4  // a binary counter's levels: enough for VP_MAX_PARTS parts

// Chunks are at most MC_MAX rows (A's share stays in L2) and NC_MAX columns (the packed B
// block of one chunk, KC_MAX x NC_MAX floats, is the per-thread scratch).
#define MC_MAX 240
#define NC_MAX 512
#define KC_MAX 256
#define VP_GEMM_BIG 1.5e8  // m n k from which chunks are cut finer than one per thread
#define A_SCRATCH (MC_MAX * KC_MAX)
// Each ISA's depth block (at most KC_MAX): the kernels' KC, and where vp_gemm_parts can sum parts in registers.
#define KC_GENERIC 256
#define KC_AVX2 256
#define KC_AVX512 192
#define B_SCRATCH (NC_MAX * KC_MAX)
// Each packed A panel's depth steps that hold a nonzero (see pack_a): a count per panel, then
// the steps, for the most panels a chunk has (MC_MAX rows in the smallest tile's MR = 4).
#define PANELS_MAX (MC_MAX / 4)
#define STEPS_SCRATCH (PANELS_MAX + PANELS_MAX * KC_MAX)

/// What the epilogue makes of one element: r is the product (or sum of partial products) and
/// `old` the element C held before; `first` says whether beta applies (later depth blocks add).
static inline __attribute__((always_inline)) float finish(float r, float old, int first, int last,
                                                          const vp_epilogue *ep, const float *bias) {
    float beta = first ? ep->beta : 1;
    if (beta == 1) r += old;
    else if (beta != 0) r += beta * old;
    if (last) {
        if (bias) r += *bias;
        if (ep->relu && !(r > 0)) r = 0;
    }
    return r;
}

typedef float v8f __attribute__((vector_size(32)));

/// o[q] = column q of the 8x8 block whose rows are r[0..7] (unpack, then 64-bit, then
/// 128-bit interleaves: the usual AVX transpose, written once for every ISA).
static inline __attribute__((always_inline)) void transpose8(const v8f r[8], v8f o[8]) {
    v8f t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int i = 0; i < 4; i++) {
        o[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        o[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

/// Copies the 8 x `width` block at src (row stride `ld`, rows past `rows` read as zeros) into
/// dst transposed: dst[q * dld + r] = src[r * ld + q] for q < 8, r < width (width <= 8).
static inline __attribute__((always_inline)) void transpose_block(
    const float *src, long ld, int rows, float *dst, long dld, int width) {
    v8f r[8], o[8];
    for (int i = 0; i < 8; i++) {
        if (i < rows) __builtin_memcpy(&r[i], src + i * ld, 32);
        else r[i] = (v8f){0};
    }
    transpose8(r, o);
    for (int q = 0; q < 8; q++) __builtin_memcpy(dst + q * dld, &o[q], (size_t)width * 4);
}

#define SUFFIX generic
#define VEC 4
#define MR 4
#define KC KC_GENERIC
#include "gemm_kernel.inc"
#undef SUFFIX
#undef VEC
#undef MR
#undef KC

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define SUFFIX avx2
#define VEC 8
#define MR 6
#define KC KC_AVX2
#include "gemm_kernel.inc"
#undef SUFFIX
#undef VEC
#undef MR
#undef KC
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)
#define SUFFIX avx512
#define VEC 16
#define MR 12
#define KC KC_AVX512
#include "gemm_kernel.inc"
#undef SUFFIX
#undef VEC
#undef MR
#undef KC
#pragma clang attribute pop
#endif

static pthread_once_t isa_once = PTHREAD_ONCE_INIT;
static vp_isa cpu_isa, gemm_isa;
static _Atomic int zero_skipping = 1;

static void isa_init(void) {
    cpu_isa = vp_cpu_detect_isa();
    gemm_isa = cpu_isa;
    // VAEPIPE_ISA=sse2|avx2 caps the choice (to compare kernels on one machine).
    const char *cap = getenv("VAEPIPE_ISA");
    if (cap) {
        vp_isa want = strncmp(cap, "avx512", 6) == 0 ? VP_ISA_AVX512
                    : strncmp(cap, "avx2", 4) == 0 ? VP_ISA_AVX2 : VP_ISA_GENERIC;
        if (want < gemm_isa) gemm_isa = want;
    }
    // VAEPIPE_ZERO_SKIP=0 packs every depth step (to measure what skipping zeros gains).
    const char *skip = getenv("VAEPIPE_ZERO_SKIP");
    if (skip && strcmp(skip, "0") == 0) zero_skipping = 0;
}

vp_isa vp_gemm_isa(void) { pthread_once(&isa_once, isa_init); return gemm_isa; }

vp_isa vp_gemm_set_isa(vp_isa isa) {
    pthread_once(&isa_once, isa_init);
    gemm_isa = isa < cpu_isa ? isa : cpu_isa;
    return gemm_isa;
}

int vp_gemm_zero_skipping(void) { pthread_once(&isa_once, isa_init); return zero_skipping; }

void vp_gemm_set_zero_skipping(int on) { pthread_once(&isa_once, isa_init); zero_skipping = on != 0; }

void vp_gemm_tile(vp_isa isa, int *mr, int *nr) {
    switch (isa) {
    case VP_ISA_AVX512: *mr = 12; *nr = 32; break;
    case VP_ISA_AVX2: *mr = 6; *nr = 16; break;
    default: *mr = 4; *nr = 8; break;
    }
}

// Packing scratch belongs to the OS thread (workers and any caller), made on its first GEMM.
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static void scratch_init(void) { pthread_key_create(&scratch_key, free); }

static float *thread_scratch(void) {
    pthread_once(&scratch_once, scratch_init);
    float *s = pthread_getspecific(scratch_key);
    if (!s) {
        // aligned_alloc wants a size that is a multiple of the alignment (C11; ASan enforces it).
        size_t bytes = (size_t)(A_SCRATCH + B_SCRATCH + STEPS_SCRATCH) * sizeof(float);
        s = aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (!s) abort();  // 1.3 MiB once per thread: nothing sensible to do without it
        pthread_setspecific(scratch_key, s);
    }
    return s;
}

static long round_up(long x, long to) { return (x + to - 1) / to * to; }
static long ceil_div(long x, long y) { return (x + y - 1) / y; }

static void run_chunk(const gemm_job *g, long m0, long m1, long n0, long n1, float *scratch) {
    switch (g->isa) {
#if defined(__x86_64__)
    case VP_ISA_AVX512: chunk_avx512(g, m0, m1, n0, n1, scratch); break;
    case VP_ISA_AVX2: chunk_avx2(g, m0, m1, n0, n1, scratch); break;
#endif
    default: chunk_generic(g, m0, m1, n0, n1, scratch); break;
    }
}

// A weight gradient (x^T dy over a batch of pixels) is a small C with a long depth: split
// between threads by rows or columns, every piece would pack all of the long operand again.
// Split the depth instead: each task multiplies its own stretch of K into a private C, and
// the caller adds them up. The partial products live in the calling thread's scratch, grown to
// the largest such product once.
typedef struct {
    gemm_job job;        // the whole product; each task narrows k, a and b to its stretch
    long stretch;        // depth per task (a multiple of KC_MAX)
    float *partials;     // tasks x m x n
} split_job;

static _Thread_local float *partials_buffer;
static _Thread_local size_t partials_size;

static void split_task(void *ctx, long task) {
    const split_job *s = ctx;
    gemm_job g = s->job;
    long k0 = task * s->stretch, k1 = k0 + s->stretch < g.k ? k0 + s->stretch : g.k;
    // op(A) columns k0..<k1 and op(B) rows k0..<k1, as sub-matrices with the whole product's
    // leading dimensions (which the job keeps), into this task's own C.
    g.a = g.trans_a ? g.a + k0 * g.lda : g.a + k0;
    g.b = g.trans_b ? g.b + k0 : g.b + k0 * g.ldb;
    g.c = s->partials + task * g.m * g.n;
    g.ep = (vp_epilogue){0, 0, 0};
    g.k = k1 - k0;
    float *scratch = thread_scratch();
    for (long m0 = 0; m0 < g.m; m0 += MC_MAX)
        for (long n0 = 0; n0 < g.n; n0 += NC_MAX)
            run_chunk(&g, m0, m0 + MC_MAX < g.m ? m0 + MC_MAX : g.m, n0, n0 + NC_MAX < g.n ? n0 + NC_MAX : g.n, scratch);
}

typedef struct { float *c; const float *partials; long tasks, m, n, rows; const vp_epilogue *ep; } sum_job;

// Rows rows*task ..< of C: the partial products summed in task order (the same order on any
// number of threads) a row stretch at a time, in plain loops that vectorise, then the epilogue.
static void sum_task(void *ctx, long task) {
    const sum_job *s = ctx;
    long i0 = task * s->rows, i1 = i0 + s->rows < s->m ? i0 + s->rows : s->m, n = s->n, mn = s->m * n;
    const vp_epilogue ep = *s->ep;
    float row[NC_MAX];
    for (long i = i0; i < i1; i++) {
        float *c = s->c + i * n;
        for (long j0 = 0; j0 < n; j0 += NC_MAX) {
            long w = n - j0 < NC_MAX ? n - j0 : NC_MAX;
            for (long j = 0; j < w; j++) row[j] = 0;
            for (long t = 0; t < s->tasks; t++) {
                const float *p = s->partials + t * mn + i * n + j0;
                for (long j = 0; j < w; j++) row[j] += p[j];
            }
            // A local copy of the epilogue, which stores to C cannot alias, and a loop per bias
            // case: the epilogue's branches then stay out of the loop and it vectorises.
            if (ep.bias) for (long j = 0; j < w; j++) c[j0 + j] = finish(row[j], c[j0 + j], 1, 1, &ep, ep.bias + j0 + j);
            else for (long j = 0; j < w; j++) c[j0 + j] = finish(row[j], c[j0 + j], 1, 1, &ep, NULL);
        }
    }
}

/// C = the epilogue of the sum of `tasks` partial products [m x n] (none: of zero).
static void sum_partials(float *c, const float *partials, long tasks, long m, long n, const vp_epilogue *ep) {
    long rows = ceil_div(16384, n);
    sum_job s = {c, partials, tasks, m, n, rows, ep};
    vp_parallel(ceil_div(m, rows), sum_task, &s);
}

static void gemm_task(void *ctx, long task) {
    const gemm_job *g = ctx;
    long m0 = (task / g->nchunks_n) * g->mc, n0 = (task % g->nchunks_n) * g->nc;
    long m1 = m0 + g->mc < g->m ? m0 + g->mc : g->m, n1 = n0 + g->nc < g->n ? n0 + g->nc : g->n;
    run_chunk(g, m0, m1, n0, n1, thread_scratch());
}

/// The product a job describes (its leading dimensions set), on the pool.
static void gemm_run(gemm_job g) {
    long m = g.m, n = g.n, k = g.k;
    const vp_epilogue ep = g.ep;
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { sum_partials(g.c, NULL, 0, m, n, &ep); return; }  // no product: only the epilogue
    int mr, nr;
    vp_gemm_tile(g.isa, &mr, &nr);
    int threads = vp_threads();

    // The split depends on the shape only, never on the thread count, so the sums (and a
    // resumed run) come out the same on any number of threads.
    long stretches = k / (2 * KC_MAX);
    if (m * n <= 256 * 1024 && k >= 2 * (m > n ? m : n) && stretches >= 2) {
        long tasks = stretches < 8 ? stretches : 8;
        size_t need = (size_t)tasks * m * n;
        if (partials_size < need) {
            free(partials_buffer);
            partials_buffer = aligned_alloc(64, round_up((long)need * 4, 64));
            partials_size = partials_buffer ? need : 0;
        }
        if (partials_buffer) {
            split_job s = {g, round_up(ceil_div(k, tasks), KC_MAX), partials_buffer};
            tasks = ceil_div(k, s.stretch);
            vp_parallel(tasks, split_task, &s);
            sum_partials(g.c, partials_buffer, tasks, m, n, &ep);
            return;
        }
    }

    // Enough chunks that every thread has work and, for big products, a thread the OS pauses
    // costs little; small products (an MLP layer) get one chunk per thread, because every chunk
    // packs its share of both operands again (and a thread's own packed copy stays in its own
    // L2, which measured faster than sharing one). Cut the longer side, into equal pieces.
    long want = threads == 1 ? 1 : (double)m * n * k >= VP_GEMM_BIG ? 4L * threads : threads;
    long cm = ceil_div(m, MC_MAX), cn = ceil_div(n, NC_MAX), mc, nc;
    // Then whole rounds: 9 chunks on 2 threads would leave one of them idle for a ninth of the
    // product (the conv layers' shapes did exactly that).
    for (int round = 0;; round++) {
        mc = round_up(ceil_div(m, cm), mr); nc = round_up(ceil_div(n, cn), nr);
        if (mc > MC_MAX) mc = MC_MAX;
        if (nc > NC_MAX) nc = NC_MAX;
        long chunks = ceil_div(m, mc) * ceil_div(n, nc);
        if (chunks >= want && (chunks % threads == 0 || round >= 4 * threads)) break;
        long rows = ceil_div(m, cm), cols = ceil_div(n, cn);
        if (cols >= rows && cols >= 2 * nr) cn++;
        else if (rows >= 2 * mr) cm++;
        else if (cols >= 2 * nr) cn++;
        else break;
    }
    g.mc = mc; g.nc = nc; g.nchunks_n = ceil_div(n, nc);
    vp_parallel(ceil_div(m, mc) * g.nchunks_n, gemm_task, &g);
}

/// The job of a dense product, its leading dimensions from its shape.
static gemm_job make_job(int trans_a, int trans_b, long m, long n, long k, const float *a, const float *b,
                         float *c, vp_epilogue ep) {
    return (gemm_job){trans_a, trans_b, m, n, k, trans_a ? m : k, trans_b ? k : n, a, b, c, ep, 0, 0, 0, vp_gemm_isa(), NULL, vp_gemm_zero_skipping()};
}

void vp_gemm(int trans_a, int trans_b, long m, long n, long k, const float *a, const float *b,
             float *c, vp_epilogue ep) {
    gemm_run(make_job(trans_a, trans_b, m, n, k, a, b, c, ep));
}

// MARK: - A depth in parts

typedef struct { float *c; const float *partials; long parts, m, n, rows; const vp_epilogue *ep; } tree_job;

// Rows rows*task ..< of C: the parts' products added as a binary counter adds (part 2j with
// part 2j+1, then those pairs pairwise, ...), a row stretch at a time, then the epilogue.
static void tree_task(void *ctx, long task) {
    const tree_job *t = ctx;
    long i0 = task * t->rows, i1 = i0 + t->rows < t->m ? i0 + t->rows : t->m, n = t->n, mn = t->m * n;
    const vp_epilogue ep = *t->ep;
    float held[PART_LEVELS][NC_MAX], row[NC_MAX];
    for (long i = i0; i < i1; i++) {
        float *c = t->c + i * n;
        for (long j0 = 0; j0 < n; j0 += NC_MAX) {
            long w = n - j0 < NC_MAX ? n - j0 : NC_MAX;
            int occupied = 0;
            for (long s = 0; s < t->parts; s++) {
                const float *p = t->partials + s * mn + i * n + j0;
                for (long j = 0; j < w; j++) row[j] = p[j];
                int level = 0;
                for (; occupied & (1 << level); level++) {
                    occupied &= ~(1 << level);
                    for (long j = 0; j < w; j++) row[j] += held[level][j];
                }
                if (s + 1 < t->parts) {
                    occupied |= 1 << level;
                    for (long j = 0; j < w; j++) held[level][j] = row[j];
                } else {
                    for (level = 0; level < PART_LEVELS; level++)
                        if (occupied & (1 << level))
                            for (long j = 0; j < w; j++) row[j] += held[level][j];
                }
            }
            if (ep.bias) for (long j = 0; j < w; j++) c[j0 + j] = finish(row[j], c[j0 + j], 1, 1, &ep, ep.bias + j0 + j);
            else for (long j = 0; j < w; j++) c[j0 + j] = finish(row[j], c[j0 + j], 1, 1, &ep, NULL);
        }
    }
}

static _Thread_local float *parts_buffer;
static _Thread_local size_t parts_size;

void vp_gemm_parts(long m, long n, long k, const float *a, const float *b, float *c, vp_epilogue ep,
                   const long *cuts, int parts) {
    gemm_job g = make_job(1, 0, m, n, k, a, b, c, ep);
    if (parts <= 1 || m <= 0 || n <= 0) { gemm_run(g); return; }
    if (parts > VP_MAX_PARTS || cuts[0] != 0 || cuts[parts] != k) abort();  // a caller's bug
    int kc = g.isa == VP_ISA_AVX512 ? KC_AVX512 : g.isa == VP_ISA_AVX2 ? KC_AVX2 : KC_GENERIC;
    if (k <= kc) {
        // One depth block: the micro-kernel sums the parts in registers.
        vp_parts p = {cuts, parts};
        g.parts = &p;
        gemm_run(g);
        return;
    }
    // Deeper: each part's product into its own C, then the tree.
    size_t need = (size_t)parts * m * n;
    if (parts_size < need) {
        free(parts_buffer);
        parts_buffer = aligned_alloc(64, round_up((long)need * 4, 64));
        parts_size = parts_buffer ? need : 0;
        if (!parts_buffer) abort();  // once, at the largest product: nothing sensible to do without it
    }
    for (int s = 0; s < parts; s++) {
        gemm_job part = g;
        part.a = a + cuts[s] * m;
        part.b = b + cuts[s] * n;
        part.k = cuts[s + 1] - cuts[s];
        part.c = parts_buffer + (size_t)s * m * n;
        part.ep = (vp_epilogue){0, 0, 0};
        gemm_run(part);
    }
    tree_job t = {c, parts_buffer, parts, m, n, ceil_div(16384, n), &ep};
    vp_parallel(ceil_div(m, t.rows), tree_task, &t);
}
