#!/usr/bin/env bash
# Data-parallel throughput on this machine: one process with every core's thread against
# mpirun -np <cores> ranks of one thread each, alternating for ROUNDS rounds (this kind of VM's
# speed moves by tens of percent within minutes, so only runs side by side compare). Prints each
# run's median ms per step and, per round, the ranks' time over the single process's, and the
# time per gradient exchange. Usage: ROUNDS=4 EPOCHS=2 Benchmarks/mpi_throughput.sh [train options...]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/usr/share/datasets/fashion-mnist}; ROUNDS=${ROUNDS:-4}; EPOCHS=${EPOCHS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
swift build -c release >/dev/null
B=$PWD/.build/release/vaepipe; cores=$(nproc); out=$(mktemp -d)
step() { sed -n 's/.*per step \([0-9.]*\) ms.*/\1/p' "$1"; }
echo "$(lscpu | sed -n 's/^Model name: *//p'), $cores cores; $EPOCHS epochs per run"
for r in $(seq "$ROUNDS"); do
  "$B" train --data "$DATA" --epochs "$EPOCHS" --out "$out/one" "$@" > "$out/one.log" 2>&1
  mpirun -np "$cores" "$B" train --data "$DATA" --epochs "$EPOCHS" --out "$out/ranks" "$@" > "$out/ranks.log" 2>&1
  a=$(step "$out/one.log"); b=$(step "$out/ranks.log")
  x=$(sed -n 's/.*floats, \([0-9.]*\) ms each.*/\1/p' "$out/ranks.log")
  echo "round $r: 1 process x $cores threads $a ms/step; $cores ranks x 1 thread $b ms/step ($(echo "scale=2; $b / $a" | bc)x), exchange $x ms/step"
done
