#!/usr/bin/env python3
"""Time per synchronous data-parallel step on N ranks, on paper: compute on a rank's share of
the global batch plus a ring allreduce of the gradients,
    T(N) = (G / N) * t_example + 2 (N - 1) / N * S / bandwidth + 2 (N - 1) * latency,
from a measured time per example on one rank (a 2-core node like the one the README measures),
the gradient size S and the link. Prints a Markdown table for the README.

usage: Benchmarks/mpi_scaling_model.py MLP_MS_PER_STEP CONV_MS_PER_STEP   (one rank, batch 128)
"""
import sys

mlp_step, conv_step = (float(x) / 1e3 for x in sys.argv[1:3])
models = [  # name, seconds per example on one rank, gradient bytes
    ("mlp 784-400-20", mlp_step / 128, 652_824 * 4),
    ("conv 64x64x3", conv_step / 128, 3_497_195 * 4),
]
links = [("10 Gbit/s, 20 us", 10e9 / 8, 20e-6), ("100 Gbit/s, 2 us", 100e9 / 8, 2e-6)]

def step(n, g, t_ex, size, bw, lat):
    compute = g / n * t_ex
    comm = 0 if n == 1 else 2 * (n - 1) / n * size / bw + 2 * (n - 1) * lat
    return compute, comm

print("| model | link | global batch | 1 rank | 8 ranks | 64 ranks | 512 ranks | per-rank batch where the allreduce equals the compute |")
print("|---|---|---|---|---|---|---|---|")
for name, t_ex, size in models:
    for link, bw, lat in links:
        for g in (128, 4096):
            cells = []
            for n in (1, 8, 64, 512):
                if n > g:
                    cells.append("-")
                    continue
                c, m = step(n, g, t_ex, size, bw, lat)
                cells.append(f"{1e3 * (c + m):.1f} ms ({1e3 * c:.1f} + {1e3 * m:.1f})")
            # Per-rank batch b where b * t_ex equals the allreduce time at 64 ranks.
            _, m64 = step(64, g, t_ex, size, bw, lat)
            print(f"| {name} | {link} | {g} | " + " | ".join(cells) + f" | {m64 / t_ex:.0f} |")
