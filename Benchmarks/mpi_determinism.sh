#!/usr/bin/env bash
# Data-parallel runs against one process, on Fashion-MNIST (10 epochs, batch 128, seed 1):
#  1. Gradients summed in 8 parts (--gradient-parts 8): one process, mpirun -np 2, -np 4
#     --oversubscribe and -np 2 over TCP only (--mca btl tcp,self); then mpirun -np 2 with its
#     default (2 parts) against one process with --gradient-parts 2, and the plain one-process run
#     (one part). Per-epoch train loss and test neg-ELBO side by side, and whether the checkpoints
#     hold the same bits (weights and Adam's moments).
#  2. SIGTERM to mpirun -np 2 (default parts) mid-run, --resume under -np 2, SIGTERM again,
#     --resume in one process to the end: the final checkpoint against the uninterrupted run's.
# Needs: Open MPI, python3 with numpy and safetensors. Usage: Benchmarks/mpi_determinism.sh [equal|resume]...
# FIRST_STOP and SECOND_STOP: seconds before each SIGTERM (default 13; shorter on a faster machine,
# so that the last part of the run is left to the single process).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/usr/share/datasets/fashion-mnist}; EPOCHS=${EPOCHS:-10}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
swift build -c release >/dev/null
B=$PWD/.build/release/vaepipe; out=${OUT:-$(mktemp -d)}
train=(train --data "$DATA" --epochs "$EPOCHS" --quiet)
echo "runs in $out"

table() {  # run directories: epoch by epoch, relative differences against the first
  python3 - "$@" <<'PY'
import json, sys
runs = {d.rsplit("/", 1)[-1]: [json.loads(l) for l in open(d + "/metrics.jsonl")] for d in sys.argv[1:]}
names = list(runs); ref = runs[names[0]]
print("| epoch | " + " | ".join(f"{n} train / test" for n in names) + " |")
print("|---" * (len(names) + 1) + "|")
worst = {n: 0.0 for n in names}
for i, r in enumerate(ref):
    cells = []
    for n in names:
        m = runs[n][i]
        rel = max(abs(m[k] - r[k]) / abs(r[k]) for k in ("train_loss", "test_neg_elbo"))
        worst[n] = max(worst[n], rel)
        cells.append(f"{m['train_loss']:.4f} / {m['test_neg_elbo']:.4f}")
    print(f"| {r['epoch']} | " + " | ".join(cells) + " |")
print("largest relative difference from " + names[0] + ": " + ", ".join(f"{n} {worst[n]:.2g}" for n in names[1:]))
PY
}

equal() {
  "$B" "${train[@]}" --gradient-parts 8 --out "$out/parts8"
  mpirun -np 2 "$B" "${train[@]}" --gradient-parts 8 --out "$out/np2parts8"
  mpirun -np 4 --oversubscribe "$B" "${train[@]}" --gradient-parts 8 --out "$out/np4parts8"
  mpirun -np 2 --mca btl tcp,self "$B" "${train[@]}" --gradient-parts 8 --out "$out/np2tcp"
  [ -f "$out/np2/model.safetensors" ] || mpirun -np 2 "$B" "${train[@]}" --out "$out/np2"
  "$B" "${train[@]}" --gradient-parts 2 --out "$out/parts2"
  "$B" "${train[@]}" --out "$out/plain"
  table "$out/parts8" "$out/np2parts8" "$out/np4parts8" "$out/np2tcp" "$out/np2" "$out/parts2" "$out/plain"
  for run in np2parts8 np4parts8 np2tcp parts2 plain; do
    echo "$run against parts8: $(Benchmarks/compare_weights.py "$out/parts8/model.safetensors" "$out/$run/model.safetensors")"
  done
  echo "np2 (default, 2 parts) against parts2: $(Benchmarks/compare_weights.py "$out/parts2/model.safetensors" "$out/np2/model.safetensors")"
}

stop_after() {  # seconds, command...: SIGTERM to the command after that long (mpirun passes it on)
  local seconds=$1; shift
  "$@" & local pid=$!
  sleep "$seconds"; kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
}

resume() {
  [ -f "$out/np2/model.safetensors" ] || mpirun -np 2 "$B" "${train[@]}" --out "$out/np2"
  stop_after "${FIRST_STOP:-13}" mpirun -np 2 "$B" "${train[@]}" --out "$out/interrupted"
  echo "stopped at: $(wc -l < "$out/interrupted/metrics.jsonl") epochs done"
  stop_after "${SECOND_STOP:-13}" mpirun -np 2 "$B" train --resume "$out/interrupted" --quiet
  echo "stopped again at: $(wc -l < "$out/interrupted/metrics.jsonl") epochs done"
  "$B" train --resume "$out/interrupted" --quiet
  table "$out/np2" "$out/interrupted"
  echo "resumed (np 2, np 2, then one process) against uninterrupted np 2: $(Benchmarks/compare_weights.py "$out/np2/model.safetensors" "$out/interrupted/model.safetensors")"
}

for what in "${@:-equal resume}"; do for w in $what; do "$w"; done; done
