#!/usr/bin/env bash
# Is a plugin head as fast as a built-in one? Trains the MLP on Fashion-MNIST with the built-in
# bernoulli head and with bernoulli-c (the same math, in C, loaded from
# Samples/Plugins/laplace-head with --plugin), taking turns, and prints each run's median epoch
# and forward time per step, then the medians over the rounds.
#
# usage: Benchmarks/plugin_head.sh [ROUNDS]      (default 3; EPOCHS=N, default 3; release build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
EPOCHS=${EPOCHS:-3}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}
OUT=$(mktemp -d /tmp/vaepipe-plugin-head.XXXXXX)
cc -O2 -fPIC -shared -I "$ROOT/Sources/CVAEPipePlugin/include" "$ROOT/Samples/Plugins/laplace-head/laplace_head.c" \
  -o "$OUT/liblaplace_head.so" -lm
declare -A epoch forward
for r in $(seq "$ROUNDS"); do
  for head in bernoulli bernoulli-c; do
    line=$("$VAEPIPE" train --plugin "$OUT/liblaplace_head.so" --likelihood "$head" --data "$DATA" --epochs "$EPOCHS" \
      --out "$OUT/run" 2>&1 | grep '^trained')
    e=$(sed -E 's/.*median ([0-9.]+)s\/epoch.*/\1/' <<< "$line"); f=$(sed -E 's/.*forward ([0-9.]+) ms.*/\1/' <<< "$line")
    echo "round $r  $head: median epoch ${e}s, forward ${f} ms/step"
    epoch[$head]="${epoch[$head]:-} $e"; forward[$head]="${forward[$head]:-} $f"
    rm -rf "$OUT/run"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for head in bernoulli bernoulli-c; do
  echo "$head: median epoch $(median <<< "${epoch[$head]}")s, forward $(median <<< "${forward[$head]}") ms/step over $ROUNDS rounds"
done
rm -rf "$OUT"
