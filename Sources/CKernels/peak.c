// The FMA units' own peak, measured: what `vaepipe doctor` divides the GEMM's GFLOP/s by. A
// chain of fused multiply-adds in enough independent registers to cover the FMA latency on
// every pipe (12, as the 6x16 tile holds), per ISA, on every thread of the pool at once.
#include "CKernels.h"

#define CHAINS 12
#define ROUNDS 4096

// STEP is one multiply-add per lane: fused where the ISA has FMA, a multiply and an add on SSE2
// (as the generic GEMM kernel does it); two flops either way.
#define PEAK_BODY(VEC, STEP)                                                                 \
    typedef float vf __attribute__((vector_size(VEC * 4)));                                  \
    vf acc[CHAINS], x = (vf){0} + 0.999f, y = (vf){0} + 1e-3f;                               \
    for (int c = 0; c < CHAINS; c++) acc[c] = (vf){0} + (float)c;                            \
    for (long r = 0; r < rounds; r++)                                                         \
        for (int c = 0; c < CHAINS; c++) acc[c] = STEP(acc[c], x, y);                         \
    float s = 0;                                                                              \
    for (int c = 0; c < CHAINS; c++) s += acc[c][0];                                          \
    return s;

#define MUL_ADD(a, x, y) ((a) * (x) + (y))
#define FMA(a, x, y) __builtin_elementwise_fma(a, x, y)
static float chains_generic(long rounds) { PEAK_BODY(4, MUL_ADD) }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float chains_avx2(long rounds) { PEAK_BODY(8, FMA) }
__attribute__((target("avx512f"))) static float chains_avx512(long rounds) { PEAK_BODY(16, FMA) }
#endif

typedef struct { vp_isa isa; long rounds; float sinks[64]; } peak_job;

static void peak_task(void *ctx, long task) {
    (void)task;
    peak_job *j = ctx;
    float s;
    switch (j->isa) {
#if defined(__x86_64__)
    case VP_ISA_AVX512: s = chains_avx512(j->rounds); break;
    case VP_ISA_AVX2: s = chains_avx2(j->rounds); break;
#endif
    default: s = chains_generic(j->rounds); break;
    }
    j->sinks[task % 64] = s;  // keeps the chains from being optimised away
}

double vp_fma_peak_gflops(vp_isa isa, double seconds) {
    int mr, nr;
    vp_gemm_tile(isa, &mr, &nr);
    int vec = nr / 2;  // the tile's columns are two vector registers
    int threads = vp_threads();
    peak_job j = {isa, ROUNDS, {0}};
    double best = 0, start = vp_seconds_now();
    do {
        double t0 = vp_seconds_now();
        vp_parallel(threads, peak_task, &j);
        double t = vp_seconds_now() - t0;
        double gflops = 2.0 * vec * CHAINS * (double)j.rounds * threads / t / 1e9;
        if (gflops > best) best = gflops;
        if (t < 0.02) j.rounds *= 2;  // long enough that waking the pool does not count
    } while (vp_seconds_now() - start < seconds);
    return best;
}
