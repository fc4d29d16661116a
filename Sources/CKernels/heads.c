// The heads' per-pixel loops (Bernoulli: softplus(l) - x l; Gaussian with one sigma: the squared
// errors of sigmoid(l); and their gradients), compiled per ISA
// like the GEMM: Swift's SIMD8<Float> is two SSE registers on baseline x86-64. The arithmetic is
// VectorMath's (Sources/VAEPipeCore/Tensor/VectorMath.swift), operation for operation and without
// contracting products into FMAs, so the results are the bits the Swift loop gave.
#include "CKernels.h"
#include <math.h>

#include "vector_types.h"

#define SUFFIX generic
#include "heads_kernel.inc"
#undef SUFFIX

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define SUFFIX avx2
#include "heads_kernel.inc"
#undef SUFFIX
#pragma clang attribute pop
#endif

void vp_bernoulli_rows(const float *logits, const float *targets, long r0, long r1, long dim, float *nll,
                       float *dlogits, float scale) {
#if defined(__x86_64__)
    if (vp_gemm_isa() >= VP_ISA_AVX2) { bernoulli_rows_avx2(logits, targets, r0, r1, dim, nll, dlogits, scale); return; }
#endif
    bernoulli_rows_generic(logits, targets, r0, r1, dim, nll, dlogits, scale);
}

void vp_gaussian_rows(const float *logits, const float *targets, long r0, long r1, long dim, float *squares,
                      float *dlogits, float scale, float inverse_variance) {
#if defined(__x86_64__)
    if (vp_gemm_isa() >= VP_ISA_AVX2) {
        gaussian_rows_avx2(logits, targets, r0, r1, dim, squares, dlogits, scale, inverse_variance);
        return;
    }
#endif
    gaussian_rows_generic(logits, targets, r0, r1, dim, squares, dlogits, scale, inverse_variance);
}
