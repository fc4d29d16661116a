#!/usr/bin/env python3
"""Measures single-precision GEMM throughput of the system BLAS (OpenBLAS through numpy) at the
MLP's shapes and at 1024^3, to put vaepipe's training speed in proportion. Prints one JSON line."""
import json, time
import numpy as np

def gflops(m, k, n, reps):
    a = np.random.rand(m, k).astype(np.float32)
    b = np.random.rand(k, n).astype(np.float32)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * m * k * n * reps / (time.perf_counter() - t) / 1e9

print(json.dumps({"gflops_128x784x400": round(gflops(128, 784, 400, 400), 1),
                  "gflops_128x400x784": round(gflops(128, 400, 784, 400), 1),
                  "gflops_1024": round(gflops(1024, 1024, 1024, 20), 1)}))
