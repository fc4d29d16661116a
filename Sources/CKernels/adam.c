// Adam's update, one pass over the flat buffers, compiled per ISA like the GEMM: Swift's
// SIMD8<Float> is two SSE registers on baseline x86-64, and the square root and division
// per parameter make this loop the largest after the GEMM.
#include "CKernels.h"

typedef struct {
    float *p, *g, *m, *v;
    long count, chunk;
    float b1, b2, eps, step_size, inv_sqrt_bc2;
    vp_isa isa;
} adam_job;

#define ADAM_BODY(VEC)                                                                                 \
    typedef float vf __attribute__((vector_size(VEC * 4)));                                            \
    long i = lo;                                                                                       \
    for (; i + VEC <= hi; i += VEC) {                                                                  \
        vf g, m, v, p;                                                                                 \
        __builtin_memcpy(&g, j->g + i, sizeof g);                                                      \
        __builtin_memcpy(&m, j->m + i, sizeof m);                                                      \
        __builtin_memcpy(&v, j->v + i, sizeof v);                                                      \
        __builtin_memcpy(&p, j->p + i, sizeof p);                                                      \
        m = j->b1 * m + (1 - j->b1) * g;                                                               \
        v = j->b2 * v + (1 - j->b2) * g * g;                                                           \
        p = p - j->step_size * m / (__builtin_elementwise_sqrt(v) * j->inv_sqrt_bc2 + j->eps);         \
        __builtin_memcpy(j->m + i, &m, sizeof m);                                                      \
        __builtin_memcpy(j->v + i, &v, sizeof v);                                                      \
        __builtin_memcpy(j->p + i, &p, sizeof p);                                                      \
        __builtin_memset(j->g + i, 0, sizeof g);                                                       \
    }                                                                                                  \
    for (; i < hi; i++) {                                                                              \
        float g = j->g[i];                                                                             \
        float m = j->b1 * j->m[i] + (1 - j->b1) * g;                                                   \
        float v = j->b2 * j->v[i] + (1 - j->b2) * g * g;                                               \
        j->m[i] = m; j->v[i] = v; j->g[i] = 0;                                                         \
        j->p[i] -= j->step_size * m / (__builtin_sqrtf(v) * j->inv_sqrt_bc2 + j->eps);                 \
    }

static void adam_generic(const adam_job *j, long lo, long hi) { ADAM_BODY(4) }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void adam_avx2(const adam_job *j, long lo, long hi) { ADAM_BODY(8) }
__attribute__((target("avx512f,fma"))) static void adam_avx512(const adam_job *j, long lo, long hi) { ADAM_BODY(16) }
#endif

static void adam_task(void *ctx, long task) {
    const adam_job *j = ctx;
    long lo = task * j->chunk, hi = lo + j->chunk < j->count ? lo + j->chunk : j->count;
    switch (j->isa) {
#if defined(__x86_64__)
    case VP_ISA_AVX512: adam_avx512(j, lo, hi); break;
    case VP_ISA_AVX2: adam_avx2(j, lo, hi); break;
#endif
    default: adam_generic(j, lo, hi); break;
    }
}

void vp_adam(float *p, float *g, float *m, float *v, long count, float beta1, float beta2, float eps,
             float step_size, float inv_sqrt_bc2) {
    if (count <= 0) return;
    int threads = vp_threads();
    long tasks = threads > 1 ? 4L * threads : 1;
    if (count / tasks < 16384) tasks = count / 16384 > 0 ? count / 16384 : 1;
    long chunk = (count + tasks - 1) / tasks;
    chunk = (chunk + 15) / 16 * 16;  // whole vectors per task, so results do not depend on the split
    adam_job j = {p, g, m, v, count, chunk, beta1, beta2, eps, step_size, inv_sqrt_bc2, vp_gemm_isa()};
    vp_parallel((count + chunk - 1) / chunk, adam_task, &j);
}
