#!/usr/bin/env python3
"""Compares two vaepipe checkpoints tensor by tensor (weights and Adam's moments), in Python's
safetensors: prints how many tensors differ in any bit and the largest difference.
Usage: Benchmarks/compare_weights.py A/model.safetensors B/model.safetensors"""
import sys

import numpy as np
from safetensors.numpy import load_file

a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
if sorted(a) != sorted(b):
    sys.exit(f"the checkpoints hold different tensors: {sorted(set(a) ^ set(b))}")
differ = [k for k in a if a[k].tobytes() != b[k].tobytes()]
largest = max((float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in differ), default=0.0)
scale = max(float(np.max(np.abs(a[k]))) for k in a)
print(f"{len(a)} tensors, {len(differ)} differ in any bit; largest |difference| {largest:.3g} (largest |value| {scale:.3g})")
