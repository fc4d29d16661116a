#!/usr/bin/env bash
# vaepipe against the PyTorch reference, same machine, same run, same protocol
# (../shared/bench/README.md: Fashion-MNIST, Adam lr 1e-3, batch 128, seed 1, 2 threads,
# epoch time = the training loop only, median over epochs; test neg-ELBO after the last epoch).
#
# Needs (installs nothing): Swift 6, Debian's python3-torch (run with /usr/bin/python3),
# dataset-fashion-mnist. Usage: Benchmarks/compare.sh [mlp|conv|all] ; QUICK=1 for 2 epochs each.
set -euo pipefail
cd "$(dirname "$0")/.."
which_models=${1:-all}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
PY=${PY:-/usr/bin/python3}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
"$PY" -c "import torch" 2>/dev/null || { echo "needs PyTorch for $PY (Debian: apt-get install python3-torch)" >&2; exit 1; }
[ -e "$DATA/train-images-idx3-ubyte.gz" ] || { echo "needs $DATA (Debian: apt-get install dataset-fashion-mnist)" >&2; exit 1; }
swift build -c release >/dev/null

# model head epochs latent
cases=()
[[ $which_models == all || $which_models == mlp ]] && cases+=("mlp bernoulli 10 20" "mlp gaussian 10 20")
[[ $which_models == all || $which_models == conv ]] && cases+=("conv bernoulli 5 32")

for c in "${cases[@]}"; do
  read -r model head epochs latent <<<"$c"
  [ -n "${QUICK:-}" ] && epochs=2
  hidden=$([ "$model" = mlp ] && echo 400 || echo 256)
  echo "== $model $head, $epochs epochs" >&2
  OPENBLAS_NUM_THREADS=2 .build/release/vaepipe train --data "$DATA" --arch "$model" --likelihood "$head" \
    --epochs "$epochs" --batch 128 --lr 1e-3 --latent "$latent" --hidden "$hidden" --seed 1 \
    --out "$OUT/vaepipe-$model-$head" | tee "$OUT/vaepipe-$model-$head.log" >&2
  "$PY" Benchmarks/torch_reference.py --data "$DATA" --model "$model" --likelihood "$head" --epochs "$epochs" \
    --threads 2 --seed 1 | tee "$OUT/torch-$model-$head.log" >&2
done
"$PY" Benchmarks/gemm_peak.py > "$OUT/gemm.json"

"$PY" - "$OUT" "${cases[@]}" <<'PYEOF'
import json, statistics, sys
out, cases = sys.argv[1], [c.split() for c in sys.argv[2:]]
peak = json.load(open(f"{out}/gemm.json"))["gflops_128x784x400"]
# FLOPs per example of one MLP training step (784-400-20): forward 2*(784*400 + 400*40 + 20*400 + 400*784),
# the same again for the weight gradients, and the input gradients of every layer but the first.
mlp_flops = 2 * (784*400 + 400*40 + 20*400 + 400*784) * 2 + 2 * (400*40 + 20*400 + 400*784)
print(f"{'model':6} {'head':10} {'vaepipe s/epoch':>16} {'torch s/epoch':>14} {'speed-up':>9} {'vaepipe neg-ELBO':>17} {'torch neg-ELBO':>15}")
for model, head, *_ in cases:
    rows = [json.loads(l) for l in open(f"{out}/vaepipe-{model}-{head}/metrics.jsonl")]
    ours = statistics.median(r["seconds"] for r in rows)
    ref = json.loads(open(f"{out}/torch-{model}-{head}.log").read().strip().splitlines()[-1])
    print(f"{model:6} {head:10} {ours:16.2f} {ref['median_epoch_s']:14.2f} {ref['median_epoch_s'] / ours:8.2f}x"
          f" {rows[-1]['test_neg_elbo']:17.2f} {ref['final_test_neg_elbo']:15.2f}")
    if model == "mlp" and head == "bernoulli":
        achieved = mlp_flops * 60000 / ours / 1e9
        gemm_line = (f"MLP step: {mlp_flops/1e6:.2f} MFLOP/example x {60000/ours:.0f} examples/s = {achieved:.0f} GFLOP/s,"
                     f" {100*achieved/peak:.0f}% of the measured BLAS sgemm peak ({peak:.0f} GFLOP/s at 128x784x400)")
if 'gemm_line' in dir(): print(gemm_line)
print(f"(runs and logs in {out})")
PYEOF
