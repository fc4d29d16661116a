// SiLU forward and backward, compiled per ISA like the heads: Swift's SIMD8<Float> is two SSE
// registers on baseline x86-64, and its exp polynomial there cost a hierarchical model's step more
// than a tenth of its time. The arithmetic is VectorMath's, operation for operation and without
// contracting products into FMAs, so every ISA gives the bits the Swift loop gave.
#include "CKernels.h"

#include "vector_types.h"

#define SUFFIX generic
#include "activations_kernel.inc"
#undef SUFFIX

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define SUFFIX avx2
#include "activations_kernel.inc"
#undef SUFFIX
#pragma clang attribute pop
#endif

void vp_silu_forward(const float *x, float *y, long n) {
#if defined(__x86_64__)
    if (vp_gemm_isa() >= VP_ISA_AVX2) { silu_forward_avx2(x, y, n); return; }
#endif
    silu_forward_generic(x, y, n);
}

void vp_silu_backward(const float *x, const float *dy, float *dx, long n) {
#if defined(__x86_64__)
    if (vp_gemm_isa() >= VP_ISA_AVX2) { silu_backward_avx2(x, dy, dx, n); return; }
#endif
    silu_backward_generic(x, dy, dx, n);
}
