#!/usr/bin/env bash
# vaepipe's resnet against its PyTorch 2 twin (torch_resnet_vae.py), the same model, head, data and
# held-out split, at equal epochs, the tools taking turns (vaepipe, PyTorch eager, PyTorch
# compiled; ROUNDS times): median epoch seconds, peak RSS (/usr/bin/time), and held-out bits/dim
# (IWAE-K) and PSNR of each one's model (the first round's).
#
# usage: Benchmarks/resnet_twin.sh FOLDER
# env:   EPOCHS (3), ROUNDS (1), IWAE (100), EXAMPLES (400 evenly spaced held-out images),
#        MODEL (--width 32 --blocks 1 --latent 64), AIDS (--lr-schedule cosine --warmup 100),
#        PY (/tmp/torchenv/bin/python: python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy pillow),
#        VAEPIPE (.build/release/vaepipe), OUT (/tmp/vaepipe-twin)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FOLDER=${1:?usage: resnet_twin.sh FOLDER}
EPOCHS=${EPOCHS:-3}; ROUNDS=${ROUNDS:-1}; IWAE=${IWAE:-100}; EXAMPLES=${EXAMPLES:-400}
MODEL=${MODEL:---width 32 --blocks 1 --latent 64}; AIDS=${AIDS:---lr-schedule cosine --warmup 100}
PY=${PY:-/tmp/torchenv/bin/python}; VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}; OUT=${OUT:-/tmp/vaepipe-twin}
mkdir -p "$OUT"
read -r -a model <<< "$MODEL"; read -r -a aids <<< "$AIDS"
rss() { awk '/Maximum resident set size/ {print $6}' "$1"; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; torch $("$PY" -c 'import torch; print(torch.__version__)')"
for r in $(seq 1 "$ROUNDS"); do
  run="$OUT/vaepipe-$r"; rm -rf "$run"
  /usr/bin/time -v "$VAEPIPE" train --data "$FOLDER" --size 64 --arch resnet "${model[@]}" "${aids[@]}" --likelihood gaussian \
      --epochs "$EPOCHS" --out "$run" > "$run.log" 2> "$run.time" || { cat "$run.log" "$run.time" >&2; exit 1; }
  v=$(python3 -c "import json; m=[json.loads(l) for l in open('$run/metrics.jsonl')]; s=sorted(x['seconds'] for x in m); print(s[len(s)//2])")
  [ "$r" = 1 ] && "$VAEPIPE" evaluate --run "$run" --data "$FOLDER" --iwae "$IWAE" --examples "$EXAMPLES" > "$OUT/vaepipe.eval.json"
  echo "round $r vaepipe: median epoch ${v}s, peak RSS $(rss "$run.time") KiB"
  for mode in eager compiled; do
    flag=(); [ $mode = compiled ] && flag=(--compile)
    iw=0; [ "$r" = 1 ] && iw=$IWAE
    /usr/bin/time -v "$PY" "$ROOT/Benchmarks/torch_resnet_vae.py" --data "$FOLDER" --size 64 "${model[@]}" "${aids[@]}" \
        --epochs "$EPOCHS" --iwae "$iw" --eval-examples "$EXAMPLES" "${flag[@]}" > "$OUT/torch-$mode-$r.log" 2> "$OUT/torch-$mode-$r.time" \
      || { cat "$OUT/torch-$mode-$r.log" "$OUT/torch-$mode-$r.time" >&2; exit 1; }
    echo "round $r torch $mode: median epoch $(tail -1 "$OUT/torch-$mode-$r.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_epoch_s"])')s, peak RSS $(rss "$OUT/torch-$mode-$r.time") KiB"
  done
done
echo "held-out ($EXAMPLES examples, IWAE-$IWAE) after $EPOCHS epochs:"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
v = json.loads(open(f"{out}/vaepipe.eval.json").read().strip().split("\n")[-1])
print(f"  vaepipe        bits/dim {v['bits_per_dim']:.4f}  PSNR {v['psnr']:.2f} dB  KL {v['kl']:.1f}  active {v['active_units']}")
for mode in ("eager", "compiled"):
    t = json.loads(open(f"{out}/torch-{mode}-1.log").read().strip().split("\n")[-1])
    print(f"  torch {mode:9s} bits/dim {t['bits_per_dim']:.4f}  PSNR {t['psnr']:.2f} dB  KL {t['kl']:.1f}  active {t['active_units']}"
          f"  ({100 * (t['bits_per_dim'] / v['bits_per_dim'] - 1):+.2f}% against vaepipe)")
PY
