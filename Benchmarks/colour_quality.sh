#!/usr/bin/env bash
# Held-out quality on a colour image folder at equal wall clock (issue 21): each configuration
# trains for the same --time-budget on the same 64x64 folder (its held-out tenth set aside by
# path hash), then `vaepipe evaluate --iwae K` scores the held-out images: PSNR of the
# reconstructions from the posterior means, bits/dim from the IWAE-K log-likelihood, KL and
# active units. Runs one after another (never two at once on the 2 cores).
#
#   old       today's defaults before issue 21: conv, latent 20, learned sigma, constant lr
#   conv+     the same conv model with the training aids (cosine, EMA, flips), latent 64, optimal sigma
#   resnet    --arch resnet with the same aids, latent and sigma
#   new       the new defaults: nothing but --likelihood gaussian
#
# usage: Benchmarks/colour_quality.sh FOLDER [CONFIG...]       (default: all four)
# env:   VAEPIPE (.build/release/vaepipe), BUDGET (10m), IWAE (100), OUT (/tmp/vaepipe-quality/NAME),
#        SIZE (64), SEED (1)
# Last lines: a Markdown table, one row per configuration.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}
FOLDER=${1:?usage: colour_quality.sh FOLDER [CONFIG...]}; shift
BUDGET=${BUDGET:-10m}; IWAE=${IWAE:-100}; SIZE=${SIZE:-64}; SEED=${SEED:-1}
OUT=${OUT:-/tmp/vaepipe-quality/$(basename "$FOLDER")}
configs=("$@"); [ ${#configs[@]} -eq 0 ] && configs=(old conv+ resnet new)
mkdir -p "$OUT"
AIDS=(--lr-schedule cosine --warmup 100 --ema 0.999 --flip)
args_for() { case $1 in
  old)    echo --arch conv --latent 20 --sigma learned --lr-schedule constant --warmup 0 --ema 0 --no-flip ;;
  conv+)  echo --arch conv --latent "${LATENT:-64}" --sigma optimal "${AIDS[@]}" ;;
  resnet) echo --arch resnet --latent "${LATENT:-64}" --sigma optimal "${AIDS[@]}" ;;
  new)    echo ;;
  *)      echo "${!1:?unknown configuration $1 (or set an environment variable of that name to its flags)}" ;;
esac; }
rows=()
for c in "${configs[@]}"; do
  run="$OUT/$c"
  read -r -a extra <<< "$(args_for "$c")"
  if [ ! -f "$run/eval.json" ]; then
    rm -rf "$run"
    start=$(date +%s.%N)
    "$VAEPIPE" train --data "$FOLDER" --size "$SIZE" --likelihood gaussian --seed "$SEED" --time-budget "$BUDGET" \
      --out "$run" "${extra[@]}" > "$run.log" 2>&1 || { cat "$run.log" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$c: trained in $(python3 -c "print(round($end - $start, 1))") s: $(grep -E '^model:|time budget .* reached|^trained' "$run.log" | tr '\n' ' ')" >&2
    "$VAEPIPE" evaluate --run "$run" --data "$FOLDER" --iwae "$IWAE" > "$run/eval.json"
  fi
  rows+=("$(python3 - "$run" "$c" <<'PY'
import json, sys
run, name = sys.argv[1], sys.argv[2]
e = json.loads(open(f"{run}/eval.json").read().strip().split("\n")[-1])
m = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
state = json.load(open(f"{run}/run.json"))
done = len(m)
secs = sum(r["seconds"] for r in m)
model = state["options"]
print(f"| {name} | {model['arch']} z{model['latent']} | {done} | {secs:.0f} | {e['psnr']:.2f} | {e['bits_per_dim']:.4f} | {e['kl']:.1f} | {e['active_units']} |")
PY
)")
done
echo "| config | model | epochs | train s | held-out PSNR (dB) | bits/dim (IWAE-$IWAE) | KL (nats) | active units |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
