#!/usr/bin/env bash
# Heap allocations per training step: trains one epoch of 10 steps and one of 400 (same data,
# same test set, so the per-epoch work is identical) with an LD_PRELOAD malloc counter, and
# prints (difference) / 390, for 1 and 2 compute threads. The kernels, the pool and every layer
# allocate nothing per step (packing scratch is made once per thread); totals move by a few
# hundred between runs with the data loader's threads, so read a per-step figure of 0-2 as 0.
# Needs: a C compiler, dataset-fashion-mnist. Usage: Benchmarks/alloc_per_step.sh [mlp|conv|resnet|hvae] [bernoulli|gaussian]
# (EXTRA="--gradient-parts 8" adds train options; BATCH (128) and STEPS (400) make the long
# epoch shorter for the heavy models: BATCH=16 STEPS=60 for hvae).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-mlp}; head=${2:-bernoulli}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
lib=$(mktemp -d)/malloc_count.so
cc -O2 -shared -fPIC -o "$lib" Benchmarks/malloc_count.c
swift build -c release >/dev/null
count() {  # threads, examples
  VAEPIPE_THREADS=$1 LD_PRELOAD=$lib .build/release/vaepipe train --data "$DATA" --arch "$arch" \
    --likelihood "$head" --limit "$2" --epochs 1 --batch "$BATCH" --quiet ${EXTRA:-} --out "$(mktemp -d)" 2>&1 |
    sed -n 's/heap allocations: //p'
}
BATCH=${BATCH:-128}; STEPS=${STEPS:-400}
for threads in 1 2; do
  a=$(count "$threads" $((10 * BATCH))); b=$(count "$threads" $((STEPS * BATCH)))
  echo "$arch $head, VAEPIPE_THREADS=$threads: $a allocations for 10 steps, $b for $STEPS: $(( (b - a) / (STEPS - 10) )) per step"
done
