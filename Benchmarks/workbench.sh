#!/usr/bin/env bash
# The measurements behind the README's "Workbench" section (issue 10), each a case:
#   iwae      Fashion-MNIST dynamically binarised, MLP 784-400-20: ELBO training vs IWAE training
#             with K=5 and K=50 at equal epochs; the IWAE-5000 log-likelihood of each on the same
#             binarised test images, and PyTorch's estimate on one checkpoint's weights
#             (Benchmarks/torch_iwae.py) beside vaepipe's
#   heads     every head on continuous Fashion-MNIST at equal settings, in bits/dim from
#             `evaluate --iwae 1000` (bernoulli on dynamically binarised data, its own row)
#   collapse  a gaussian head with sigma fixed at 1 (the "MSE" VAE), alone, with --kl-warmup and
#             with --free-bits: active units and KL
#   folder    a colour image folder (Debian's Adwaita icons, 48x48 PNGs with alpha, at 32x32 on white):
#             held-out PSNR of the reconstructions, gaussian learned sigma vs optimal sigma vs logistic
# usage: Benchmarks/workbench.sh CASE...       (default: all four; results under $OUT)
# env:   VAEPIPE (.build/release/vaepipe), DATA (Fashion-MNIST IDX dir), EPOCHS (10), OUT
#        (/tmp/vaepipe-workbench), EXAMPLES (test images for IWAE-5000, 1000), TORCH_EXAMPLES (300),
#        PY (a Python with torch and numpy, for the PyTorch estimate; skipped when absent),
#        ICONS (/usr/share/icons/Adwaita/48x48), FOLDER_EPOCHS (40)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
EPOCHS=${EPOCHS:-10}
OUT=${OUT:-/tmp/vaepipe-workbench}
EXAMPLES=${EXAMPLES:-1000}
TORCH_EXAMPLES=${TORCH_EXAMPLES:-300}
PY=${PY:-python3}
ICONS=${ICONS:-/usr/share/icons/Adwaita/48x48}
FOLDER_EPOCHS=${FOLDER_EPOCHS:-40}
[ -x "$VAEPIPE" ] || { echo "no vaepipe binary at $VAEPIPE: swift build -c release first" >&2; exit 1; }
mkdir -p "$OUT"
cases=("$@"); [ ${#cases[@]} -eq 0 ] && cases=(iwae heads collapse folder)

# Trains RUN (under $OUT) unless it has already finished its epochs.
train() {
  local run=$1; shift
  if [ -f "$OUT/$run/metrics.jsonl" ] && [ "$(wc -l < "$OUT/$run/metrics.jsonl")" -ge "$EPOCHS_NOW" ]; then return; fi
  rm -rf "${OUT:?}/$run"
  "$VAEPIPE" train --quiet --epochs "$EPOCHS_NOW" --out "$OUT/$run" "$@"
}
# A field of the last line of a run's metrics.jsonl, or of a JSON file.
field() { python3 -c "import json,sys; l=open(sys.argv[1]).read().strip().split('\n')[-1]; print(json.loads(l).get(sys.argv[2]))" "$1" "$2"; }
has_torch() { "$PY" -c "import torch, numpy" 2>/dev/null; }

for c in "${cases[@]}"; do case $c in
iwae)
  EPOCHS_NOW=$EPOCHS
  train iwae-elbo --data "$DATA" --binarize dynamic
  train iwae-k5 --data "$DATA" --binarize dynamic --objective iwae --samples 5
  train iwae-k50 --data "$DATA" --binarize dynamic --objective iwae --samples 50
  # One binarisation of EXAMPLES test images, written as IDX, scored by every model.
  python3 - "$DATA" "$EXAMPLES" "$OUT/binarized-$EXAMPLES.idx" <<'EOF'
import gzip, struct, sys
import numpy as np
data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
raw = gzip.open(f"{data}/t10k-images-idx3-ubyte.gz").read()
x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(-1, 28, 28)
x = x[[i * len(x) // n for i in range(n)]] if n < len(x) else x
bits = (np.random.default_rng(1).random(x.shape) < x / 255) * 255
open(out, "wb").write(bytes([0, 0, 8, 3]) + struct.pack(">III", len(bits), 28, 28) + bits.astype(np.uint8).tobytes())
EOF
  printf '| training | epochs | test neg-ELBO (1 sample) | IWAE-5000 log p(x), %s binarised test images | active units |\n|---|---|---|---|---|\n' "$EXAMPLES"
  for run in iwae-elbo iwae-k5 iwae-k50; do
    [ -f "$OUT/$run.iwae5000.json" ] || "$VAEPIPE" evaluate --run "$OUT/$run" --data "$OUT/binarized-$EXAMPLES.idx" --iwae 5000 > "$OUT/$run.iwae5000.json"
    printf '| %s | %s | %.2f | %.2f | %s |\n' "$run" "$EPOCHS" "$(field "$OUT/$run/metrics.jsonl" test_neg_elbo)" \
      "$(field "$OUT/$run.iwae5000.json" log_likelihood)" "$(field "$OUT/$run.iwae5000.json" active_units)"
  done
  if has_torch; then
    "$PY" "$ROOT/Benchmarks/torch_iwae.py" --checkpoint "$OUT/iwae-k5/model.safetensors" --data "$DATA" \
      --examples "$TORCH_EXAMPLES" --k 5000 --write-idx "$OUT/torch-$TORCH_EXAMPLES.idx" > "$OUT/torch-iwae.json"
    "$VAEPIPE" evaluate --run "$OUT/iwae-k5" --data "$OUT/torch-$TORCH_EXAMPLES.idx" --iwae 5000 > "$OUT/vaepipe-iwae.json"
    printf 'IWAE-5000 on the iwae-k5 weights, %s test images: vaepipe %.3f, PyTorch %.3f nats\n' "$TORCH_EXAMPLES" \
      "$(field "$OUT/vaepipe-iwae.json" log_likelihood)" "$(field "$OUT/torch-iwae.json" log_likelihood)"
  else
    echo "PyTorch estimate skipped: $PY has no torch (set PY to a Python that has it)"
  fi ;;
heads)
  EPOCHS_NOW=$EPOCHS
  printf '| head | test neg-ELBO | IWAE-1000 log p(x) | bits/dim | active units |\n|---|---|---|---|---|\n'
  for spec in "gaussian-learned:--likelihood gaussian" "gaussian-optimal:--likelihood gaussian --sigma optimal" \
              "gaussian-pixel:--likelihood gaussian --sigma pixel" "gaussian-fixed1:--likelihood gaussian --sigma 1" \
              "cbernoulli:--likelihood cbernoulli" "logistic:--likelihood logistic" \
              "bernoulli-binarised:--likelihood bernoulli --binarize dynamic"; do
    run=heads-${spec%%:*}
    # shellcheck disable=SC2086
    train "$run" --data "$DATA" ${spec#*:}
    [ -f "$OUT/$run.iwae1000.json" ] || "$VAEPIPE" evaluate --run "$OUT/$run" --data "$DATA" --iwae 1000 > "$OUT/$run.iwae1000.json"
    printf '| %s | %.2f | %.2f | %.4f | %s |\n' "${spec%%:*}" "$(field "$OUT/$run/metrics.jsonl" test_neg_elbo)" \
      "$(field "$OUT/$run.iwae1000.json" log_likelihood)" "$(field "$OUT/$run.iwae1000.json" bits_per_dim)" \
      "$(field "$OUT/$run.iwae1000.json" active_units)"
  done ;;
collapse)
  EPOCHS_NOW=$EPOCHS
  printf '| run | test KL | test neg-ELBO | active units, epoch by epoch |\n|---|---|---|---|\n'
  for spec in "sigma1:" "sigma1-warmup5:--kl-warmup 5" "sigma1-freebits0.5:--free-bits 0.5" \
              "sigma1-warmup5-freebits0.5:--kl-warmup 5 --free-bits 0.5"; do
    run=collapse-${spec%%:*}
    # shellcheck disable=SC2086
    train "$run" --data "$DATA" --likelihood gaussian --sigma 1 ${spec#*:}
    printf '| %s | %.2f | %.2f | %s |\n' "${spec%%:*}" "$(field "$OUT/$run/metrics.jsonl" test_kl)" \
      "$(field "$OUT/$run/metrics.jsonl" test_neg_elbo)" \
      "$(python3 -c "import json,sys; print(' '.join(str(json.loads(l)['active_units']) for l in open(sys.argv[1])))" "$OUT/$run/metrics.jsonl")"
  done ;;
folder)
  EPOCHS_NOW=$FOLDER_EPOCHS
  [ -d "$ICONS" ] || { echo "no $ICONS (Debian: apt-get install adwaita-icon-theme)" >&2; exit 1; }
  printf '| head | held-out PSNR (dB) | held-out neg-ELBO | bits/dim |\n|---|---|---|---|\n'
  for spec in "gaussian-learned:--likelihood gaussian" "gaussian-optimal:--likelihood gaussian --sigma optimal" \
              "logistic:--likelihood logistic"; do
    run=folder-${spec%%:*}
    # shellcheck disable=SC2086
    train "$run" --data "$ICONS" --size 32 --channels 3 ${spec#*:}
    "$VAEPIPE" evaluate --run "$OUT/$run" --data "$ICONS" > "$OUT/$run.eval.json"
    "$VAEPIPE" reconstruct --run "$OUT/$run" --data "$ICONS" --count 16 --out "$OUT/$run.reconstructions.png"
    printf '| %s | %.2f | %.2f | %.4f |\n' "${spec%%:*}" "$(field "$OUT/$run.eval.json" psnr)" \
      "$(field "$OUT/$run.eval.json" neg_elbo)" "$(field "$OUT/$run/metrics.jsonl" test_bits_per_dim)"
  done ;;
*) echo "unknown case '$c' (iwae, heads, collapse, folder)" >&2; exit 2 ;;
esac; done
