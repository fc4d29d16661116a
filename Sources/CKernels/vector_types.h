// The 8-float vectors of the kernels compiled once per ISA (heads.c, activations.c), with
// VectorMath's rules: no products contracted into FMAs, so every ISA gives the Swift loop's bits.
#pragma once
#pragma clang fp contract(off)
// The helpers pass 8-float vectors between functions that are always inlined: no call, no ABI.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

#define SPLAT(x) ((v8){x, x, x, x, x, x, x, x})
