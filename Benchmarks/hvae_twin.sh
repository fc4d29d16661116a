#!/usr/bin/env bash
# vaepipe's hierarchical VAE (--arch hvae) against its PyTorch 2 twin (torch_hvae.py): the same model,
# gaussian head, training aids, data and held-out split, at equal epochs, the tools taking turns
# (vaepipe, then PyTorch in each of MODES; ROUNDS times). Prints a Markdown table: median seconds per
# epoch (training loop only), examples/s, peak RSS (/usr/bin/time), and the first round's held-out
# figures: bits/dim from IWAE-K, PSNR of posterior-mean reconstructions, neg-ELBO, KL by group.
#
# usage: Benchmarks/hvae_twin.sh FOLDER          (images already SIZE x SIZE: the twin does not resize)
# env:   EPOCHS (3), ROUNDS (1), SIZE (64), IWAE (100), EXAMPLES (400 evenly spaced held-out images),
#        MODEL (--width 32 --blocks 1 --latent 8 --batch 16 --lr 0.002: vaepipe's hvae defaults),
#        AIDS (--sigma optimal --lr-schedule cosine --warmup 100 --ema 0.999 --flip: what vaepipe
#              does by default at 32x32 and up, given to both explicitly),
#        THREADS (nproc: VAEPIPE_THREADS for vaepipe, --threads for PyTorch), MODES ("eager"; add
#        "compiled" for torch.compile, which needs a C++ compiler and minutes of compiling),
#        PY (/tmp/torchenv/bin/python: python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy pillow),
#        VAEPIPE (.build/release/vaepipe), OUT (/tmp/vaepipe-hvae-twin)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FOLDER=${1:?usage: hvae_twin.sh FOLDER}
EPOCHS=${EPOCHS:-3}; ROUNDS=${ROUNDS:-1}; SIZE=${SIZE:-64}; IWAE=${IWAE:-100}; EXAMPLES=${EXAMPLES:-400}
MODEL=${MODEL:---width 32 --blocks 1 --latent 8 --batch 16 --lr 0.002}
AIDS=${AIDS:---sigma optimal --lr-schedule cosine --warmup 100 --ema 0.999 --flip}
THREADS=${THREADS:-$(nproc)}; MODES=${MODES:-eager}
PY=${PY:-/tmp/torchenv/bin/python}; VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}; OUT=${OUT:-/tmp/vaepipe-hvae-twin}
mkdir -p "$OUT"
read -r -a model <<< "$MODEL"; read -r -a aids <<< "$AIDS"; read -r -a modes <<< "$MODES"
rss() { awk '/Maximum resident set size/ {print $6}' "$1"; }
last_json() { tail -1 "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $THREADS threads each; torch $("$PY" -c 'import torch; print(torch.__version__)')"
echo "model: $MODEL; aids: $AIDS; $EPOCHS epochs at ${SIZE}x$SIZE on $FOLDER"
for r in $(seq 1 "$ROUNDS"); do
  run="$OUT/vaepipe-$r"; rm -rf "$run"
  VAEPIPE_THREADS=$THREADS /usr/bin/time -v "$VAEPIPE" train --data "$FOLDER" --size "$SIZE" --arch hvae --likelihood gaussian \
      "${model[@]}" "${aids[@]}" --epochs "$EPOCHS" --out "$run" > "$run.log" 2> "$run.time" \
    || { cat "$run.log" "$run.time" >&2; exit 1; }
  grep -m1 "^model:" "$run.log" || true
  v=$(python3 -c "import json; m=[json.loads(l) for l in open('$run/metrics.jsonl')]; s=sorted(x['seconds'] for x in m); print(s[len(s)//2])")
  if [ "$r" = 1 ]; then
    VAEPIPE_THREADS=$THREADS "$VAEPIPE" evaluate --run "$run" --data "$FOLDER" --iwae "$IWAE" --examples "$EXAMPLES" > "$OUT/vaepipe.eval.json"
  fi
  echo "round $r vaepipe: median epoch ${v}s, peak RSS $(rss "$run.time") KiB"
  for mode in "${modes[@]}"; do
    flag=(); [ "$mode" = compiled ] && flag=(--compile)
    iw=0; [ "$r" = 1 ] && iw=$IWAE
    log="$OUT/torch-$mode-$r.log"
    /usr/bin/time -v "$PY" "$ROOT/Benchmarks/torch_hvae.py" --data "$FOLDER" --size "$SIZE" "${model[@]}" "${aids[@]}" \
        --epochs "$EPOCHS" --iwae "$iw" --eval-examples "$EXAMPLES" --threads "$THREADS" "${flag[@]}" > "$log" 2> "$OUT/torch-$mode-$r.time" \
      || { cat "$log" "$OUT/torch-$mode-$r.time" >&2; exit 1; }
    grep -m1 '^model:' "$log"
    echo "round $r torch $mode: median epoch $(last_json "$log" median_epoch_s)s, peak RSS $(rss "$OUT/torch-$mode-$r.time") KiB"
  done
done
echo
python3 - "$OUT" "$ROUNDS" "$IWAE" "$EXAMPLES" "$EPOCHS" "$MODES" <<'PY'
import json, re, sys
out, rounds, iwae, examples, epochs, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split()

def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]

def rss(path):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(m.group(1)) if m else 0

rows = []
# vaepipe: each round's median epoch from its metrics.jsonl; the held-out figures from `evaluate`
# on the first round's run (KL by group: its last epoch's test_kl_groups, over the whole held-out split).
secs, rates, mem = [], [], []
for r in range(1, rounds + 1):
    m = [json.loads(l) for l in open(f"{out}/vaepipe-{r}/metrics.jsonl")]
    secs.append(median([x["seconds"] for x in m]))
    rates.append(median([x["examples_per_second"] for x in m]))
    mem.append(rss(f"{out}/vaepipe-{r}.time"))
v = json.loads(open(f"{out}/vaepipe.eval.json").read().strip().split("\n")[-1])
groups = json.loads(open(f"{out}/vaepipe-1/metrics.jsonl").read().strip().split("\n")[-1]).get("test_kl_groups") or []
rows.append(("vaepipe", median(secs), median(rates), max(mem), v, groups))
for mode in modes:
    secs, rates, mem = [], [], []
    for r in range(1, rounds + 1):
        t = json.loads(open(f"{out}/torch-{mode}-{r}.log").read().strip().split("\n")[-1])
        secs.append(t["median_epoch_s"])
        rates.append(t["examples_per_s"])
        mem.append(rss(f"{out}/torch-{mode}-{r}.time"))
        if r == 1:
            first = t
    rows.append((f"PyTorch {first['torch'].split('+')[0]} {mode}", median(secs), median(rates), max(mem), first, first["kl_groups"]))

base = rows[0]
print(f"Held-out figures after {epochs} epochs over {base[4]['examples']} held-out examples ({base[4]['split']} split), "
      f"bits/dim from IWAE-{iwae}; seconds/epoch: the training loop's median over epochs (and rounds).\n")
print("| | s/epoch | examples/s | bits/dim (IWAE) | PSNR (dB) | neg-ELBO (nats) | KL (nats) | KL by group | peak RSS (MiB) |")
print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
for name, s, rate, kib, f, g in rows:
    speed = f"{s:.2f}" if name == "vaepipe" else f"{s:.2f} ({s / base[1]:.2f}x)"
    print(f"| {name} | {speed} | {rate:.1f} | {f['bits_per_dim']:.4f} | {f['psnr']:.2f} | {f['neg_elbo']:.1f} | {f['kl']:.1f} "
          f"| {' '.join(f'{x:.1f}' for x in g)} | {kib / 1024:.0f} |")
print("\nKL by group, decoder order (4x4 first); vaepipe's over its whole held-out split (metrics.jsonl), the twin's over the scored examples.")
PY
