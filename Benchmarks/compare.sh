#!/usr/bin/env bash
# vaepipe against the reference implementations in ../shared/bench, same machine, same run, same
# protocol (../shared/bench/README.md): Adam lr 1e-3, batch 128, seed 1, 2 threads, epoch time =
# the training loop only, median over the epochs (sorted(times)[n // 2], as every tool reports it);
# test neg-ELBO after the last epoch.
#
# usage: Benchmarks/compare.sh [mlp|conv|folder|all]      (default all)
#   mlp     Fashion-MNIST, mlp 784-400-20, bernoulli and gaussian heads, 10 epochs
#   conv    Fashion-MNIST, torch_vae.py's conv model (latent 32, hidden 256, width 32),
#           the first 12,800 training images, 3 epochs
#   folder  12,800 64x64 RGB PNGs (make_folder64.sh writes them to FOLDER if missing), vaepipe's
#           conv model for 64x64x3 (latent 20, hidden 256, width 32, its defaults) against
#           torch_folder_vae.py, 3 epochs. Folders have no test split: the figure compared is the
#           last epoch's mean training neg-ELBO.
#
# Peers (a column each when present; skipped with a one-line message otherwise):
#   torch 1.13         PY_DEBIAN  (default /usr/bin/python3; Debian: apt-get install python3-torch)
#   torch 2 eager      TORCH2_PY  (default /tmp/torchenv/bin/python)
#   torch 2 compiled   the same python, --compile (torch.compile the loss; needs a C++ compiler)
#   jax                JAX_PY     (default /tmp/jaxenv/bin/python; mlp only)
#   PEERS="t113 t2 t2c jax" picks among them.
#
# env: EPOCHS=N (every case), QUICK=1 (2 epochs unless EPOCHS), LIMIT=N (first N training images,
#      every case; jax_vae.py has no --limit, so JAX gets a truncated copy of the IDX files),
#      DATA (Fashion-MNIST IDX dir), FOLDER (default /tmp/vaepipe-folder64), OUT (default: a new
#      temporary dir), BENCH_DIR (default ../../shared/bench from this script), VAEPIPE (default
#      .build/release/vaepipe; this script never builds it),
#      COTENANT=1: every run again with one core kept busy (`yes > /dev/null`): column
#        "slowdown with co-tenant" = busy median / quiet median,
#      PRESCOTT=1: vaepipe again with OPENBLAS_CORETYPE=PRESCOTT: its median as a column,
#      ROUNDS=N: every quiet run N times, the tools taking turns (vaepipe, peers, vaepipe, peers...),
#        each tool's figure the median of its rounds' medians, the rounds listed beside it: on a
#        virtual machine whose speed drifts by 5-10% within minutes, one round is not enough.
# vaepipe runs with the caller's environment as it is (no OPENBLAS_NUM_THREADS or the like is set).
# Every run is wrapped in /usr/bin/time -v for its peak RSS. Tables go to stdout and $OUT/report.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BENCH_DIR=${BENCH_DIR:-$(dirname "$0")/../../shared/bench}
[ -d "$BENCH_DIR" ] || { echo "no reference scripts at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
FOLDER=${FOLDER:-/tmp/vaepipe-folder64}
PY_DEBIAN=${PY_DEBIAN:-/usr/bin/python3}
TORCH2_PY=${TORCH2_PY:-/tmp/torchenv/bin/python}
JAX_PY=${JAX_PY:-/tmp/jaxenv/bin/python}
JAX_XLA_FLAGS=${JAX_XLA_FLAGS:---xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2}
PEERS=${PEERS:-t113 t2 t2c jax}
OUT=${OUT:-$(mktemp -d /tmp/vaepipe-compare.XXXXXX)}
which=${1:-all}
case $which in mlp|conv|folder|all) ;; *) echo "usage: $0 [mlp|conv|folder|all]" >&2; exit 2 ;; esac
epochs_for() { if [ -n "${EPOCHS:-}" ]; then echo "$EPOCHS"; elif [ -n "${QUICK:-}" ]; then echo 2; else echo "$1"; fi; }

[ -x "$VAEPIPE" ] || { echo "no vaepipe binary at $VAEPIPE: build it first (swift build -c release); this script does not build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
for f in torch_vae.py jax_vae.py; do [ -e "$BENCH_DIR/$f" ] || { echo "no $BENCH_DIR/$f (set BENCH_DIR)" >&2; exit 1; }; done
if [[ $which != folder ]] && ! [ -e "$DATA/train-images-idx3-ubyte.gz" -o -e "$DATA/train-images-idx3-ubyte" ]; then
  echo "needs Fashion-MNIST in $DATA (Debian: apt-get install dataset-fashion-mnist; or set DATA)" >&2; exit 1
fi
mkdir -p "$OUT"
: > "$OUT/runs.tsv"; : > "$OUT/notes.txt"; : > "$OUT/cases.txt"
note() { echo "$*" >&2; echo "$*" >> "$OUT/notes.txt"; }

# --- which peers are here --------------------------------------------------------------------
TORCH2_HINT="python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy"
JAX_HINT="python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax jaxlib optax numpy"
has() { [[ " $PEERS " == *" $1 "* ]]; }
peers=()
if has t113; then
  if "$PY_DEBIAN" -c "import torch" 2>/dev/null; then peers+=(t113)
  else note "skip torch 1.13: no PyTorch for $PY_DEBIAN (Debian: apt-get install python3-torch; or set PY_DEBIAN)"; fi
fi
if has t2 || has t2c; then
  if "$TORCH2_PY" -c "import sys, torch; sys.exit(int(torch.__version__.split('.')[0]) < 2)" 2>/dev/null; then
    has t2 && peers+=(t2); has t2c && peers+=(t2c)
  else note "skip torch 2 eager and compiled: no PyTorch 2.x for $TORCH2_PY (set up: $TORCH2_HINT; or set TORCH2_PY)"; fi
fi
if has jax && [[ $which == mlp || $which == all ]]; then
  if "$JAX_PY" -c "import jax, optax" 2>/dev/null; then peers+=(jax)
  else note "skip jax: no jax + optax for $JAX_PY (set up: $JAX_HINT; or set JAX_PY)"; fi
fi
python_of() { case $1 in t113) echo "$PY_DEBIAN" ;; t2|t2c) echo "$TORCH2_PY" ;; jax) echo "$JAX_PY" ;; esac; }
peer_name() { case $1 in t113) echo "torch 1.13" ;; t2) echo "torch 2 eager" ;; t2c) echo "torch 2 compiled" ;; jax) echo jax ;; esac; }
compile_flag() { [ "$1" = t2c ] && echo --compile || true; }

# --- running one tool ----------------------------------------------------------------------------
BUSY_PID=
stop_busy() { if [ -n "$BUSY_PID" ]; then kill "$BUSY_PID" 2>/dev/null || true; wait "$BUSY_PID" 2>/dev/null || true; BUSY_PID=; fi; }
trap stop_busy EXIT
trap 'stop_busy; exit 130' INT TERM

# run CASE TOOL VARIANT -- command...: output to $OUT/CASE/TOOL.VARIANT.log (and the terminal),
# /usr/bin/time -v to .time; a failure is recorded (and shown in the table), not fatal.
# VARIANT: quiet, busy (beside one busy core) or prescott.
run() {
  local case=$1 tool=$2 variant=$3; shift 4
  local base="$OUT/$case/$tool.$variant" status=ok
  mkdir -p "$OUT/$case"
  echo "== $case: $tool ($variant): $*" >&2
  if [ "$variant" = busy ]; then yes > /dev/null & BUSY_PID=$!; fi
  /usr/bin/time -v -o "$base.time" "$@" 2>&1 | tee "$base.log" >&2 || status=failed
  stop_busy
  [ $status = ok ] || echo "   $tool ($variant) failed: see $base.log" >&2
  printf '%s\t%s\t%s\t%s\t%s\n' "$case" "$tool" "$variant" "$status" "$base" >> "$OUT/runs.tsv"
}
ROUND=1
variants() { if [ "$ROUND" = 1 ]; then echo quiet ${COTENANT:+busy}; else echo "quiet$ROUND"; fi; }

# vaepipe CASE ARGS...: the quiet run, then the co-tenant and PRESCOTT variants when asked.
vaepipe() {
  local case=$1; shift
  local v
  local extra=; [ "$ROUND" = 1 ] && extra=${PRESCOTT:+prescott}
  for v in $(variants) $extra; do
    local run_dir="$OUT/$case/vaepipe.$v.run" envs=()
    rm -rf "$run_dir"
    [ "$v" = prescott ] && envs=(OPENBLAS_CORETYPE=PRESCOTT)
    run "$case" vaepipe "$v" -- env "${envs[@]}" "$VAEPIPE" train "$@" --batch 128 --lr 1e-3 --seed 1 --out "$run_dir"
  done
}
# peer CASE TOOL SCRIPT ARGS...: the script on the tool's python, quiet (and busy).
peer() {
  local case=$1 tool=$2; shift 2
  local v envs=()
  [ "$tool" = jax ] && envs=("XLA_FLAGS=$JAX_XLA_FLAGS")
  for v in $(variants); do run "$case" "$tool" "$v" -- env "${envs[@]}" "$(python_of "$tool")" "$@"; done
}

limit_args() { if [ -n "${LIMIT:-}" ]; then echo "--limit $LIMIT"; elif [ -n "${1:-}" ]; then echo "--limit $1"; fi; }

# JAX has no --limit: the first LIMIT training images as an IDX file of their own.
jax_data() {
  [ -z "${LIMIT:-}" ] && { echo "$DATA"; return; }
  local dir="$OUT/fashion-mnist-first-$LIMIT"
  [ -d "$dir" ] || "$JAX_PY" - "$DATA" "$dir" "$LIMIT" <<'PYEOF'
import gzip, os, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
def find(name):
    for ext in (".gz", ""):
        if os.path.exists(os.path.join(src, name + ext)):
            return os.path.join(src, name + ext)
train = find("train-images-idx3-ubyte")
data = (gzip.open if train.endswith(".gz") else open)(train, "rb").read()
count, rows, cols = struct.unpack(">III", data[4:16])
n = min(n, count)
with open(os.path.join(dst, "train-images-idx3-ubyte"), "wb") as f:
    f.write(data[:4] + struct.pack(">III", n, rows, cols) + data[16:16 + n * rows * cols])
test = find("t10k-images-idx3-ubyte")
os.symlink(os.path.abspath(test), os.path.join(dst, os.path.basename(test)))
PYEOF
  echo "$dir"
}

# --- the cases -----------------------------------------------------------------------------------
for ROUND in $(seq 1 "${ROUNDS:-1}"); do
  if [[ $which == mlp || $which == all ]]; then
    n=$(epochs_for 10)
    for head in bernoulli gaussian; do
      c="mlp-$head"
      [ "$ROUND" = 1 ] && echo "$c|mlp 784-400-20, $head head, Fashion-MNIST|$n" >> "$OUT/cases.txt"
      # shellcheck disable=SC2046
      vaepipe "$c" --data "$DATA" --arch mlp --latent 20 --hidden 400 --likelihood "$head" --epochs "$n" $(limit_args)
      for p in "${peers[@]}"; do
        if [ "$p" = jax ]; then
          peer "$c" jax "$BENCH_DIR/jax_vae.py" --data "$(jax_data)" --likelihood "$head" --epochs "$n" --batch 128 --lr 1e-3 --seed 1
        else
          # shellcheck disable=SC2046
          peer "$c" "$p" "$BENCH_DIR/torch_vae.py" --data "$DATA" --model mlp --likelihood "$head" --epochs "$n" \
            --batch 128 --lr 1e-3 --threads 2 --seed 1 $(limit_args) $(compile_flag "$p")
        fi
      done
    done
  fi
  if [[ $which == conv || $which == all ]]; then
    n=$(epochs_for 3); c=conv-bernoulli
    [ "$ROUND" = 1 ] && echo "$c|conv 32x32 1-32-64-128 -> 256 -> 32 (torch_vae.py --model conv), bernoulli head, Fashion-MNIST|$n" >> "$OUT/cases.txt"
    # shellcheck disable=SC2046
    vaepipe "$c" --data "$DATA" --arch conv --latent 32 --hidden 256 --width 32 --likelihood bernoulli --epochs "$n" $(limit_args 12800)
    for p in "${peers[@]}"; do
      [ "$p" = jax ] && continue
      # shellcheck disable=SC2046
      peer "$c" "$p" "$BENCH_DIR/torch_vae.py" --data "$DATA" --model conv --likelihood bernoulli --epochs "$n" \
        --batch 128 --lr 1e-3 --threads 2 --seed 1 $(limit_args 12800) $(compile_flag "$p")
    done
  fi
  if [[ $which == folder || $which == all ]]; then
    [ -d "$FOLDER" ] || "$HERE/make_folder64.sh" "$FOLDER"
    n=$(epochs_for 3); c=folder64-bernoulli
    [ "$ROUND" = 1 ] && echo "$c|conv 64x64 3-32-64-128-256 -> 256 -> 20, bernoulli head, $FOLDER (no test split: last epoch's train neg-ELBO)|$n" >> "$OUT/cases.txt"
    # shellcheck disable=SC2046
    # --test-fraction 0: every image trains, as in the PyTorch script (no held-out split).
    vaepipe "$c" --data "$FOLDER" --size 64 --channels 3 --arch conv --latent 20 --hidden 256 --width 32 \
      --likelihood bernoulli --test-fraction 0 --epochs "$n" $(limit_args)
    for p in "${peers[@]}"; do
      [ "$p" = jax ] && continue
      if ! "$(python_of "$p")" -c "import numpy, PIL" 2>/dev/null; then
        note "skip $(peer_name "$p") for folder64: no Pillow/numpy for $(python_of "$p") (venv: $(dirname "$(python_of "$p")")/pip install pillow numpy; Debian: apt-get install python3-pil)"
        continue
      fi
      # shellcheck disable=SC2046
      peer "$c" "$p" "$HERE/torch_folder_vae.py" --data "$FOLDER" --size 64 --latent 20 --hidden 256 --width 32 \
        --epochs "$n" --batch 128 --lr 1e-3 --threads 2 --seed 1 $(limit_args) $(compile_flag "$p")
    done
  fi
done

# --- the tables ----------------------------------------------------------------------------------
{
  echo "# vaepipe and its peers"
  echo
  echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); runs in $OUT"
} > "$OUT/report.md"
python3 - "$OUT" ${COTENANT:+cotenant} ${PRESCOTT:+prescott} >> "$OUT/report.md" <<'PYEOF'
import json, os, re, sys
out, flags = sys.argv[1], set(sys.argv[2:])
NAMES = {"t113": "torch", "t2": "torch", "t2c": "torch", "jax": "jax"}
ORDER = ["vaepipe", "t113", "t2", "t2c", "jax"]

def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]

def secs(s):
    return f"{s:.3f}" if s < 1 else f"{s:.2f}"

def rss_mib(base):
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(base + ".time").read())
        return int(m.group(1)) / 1024 if m else None
    except OSError:
        return None

def result(tool, status, base):
    """(label, median s, figure, rss MiB) or (label, None, None, rss) for a failed run."""
    if tool == "vaepipe":
        label = "vaepipe"
        try:
            rows = [json.loads(l) for l in open(base + ".run/metrics.jsonl") if l.strip()]
            last = rows[-1]
            fig = last.get("test_neg_elbo", last.get("train_loss"))
            return label, median(r["seconds"] for r in rows), fig, rss_mib(base)
        except (OSError, ValueError, IndexError):
            return label, None, None, rss_mib(base)
    try:
        j = json.loads(open(base + ".log").read().strip().splitlines()[-1])
        label = f"{NAMES[tool]} {j[NAMES[tool]]}" + (" compiled" if j.get("compiled") else "")
        fig = j.get("final_test_neg_elbo", j.get("final_train_neg_elbo"))
        return label, j["median_epoch_s"], fig, rss_mib(base)
    except (OSError, ValueError, IndexError, KeyError):
        return {"t113": "torch 1.13", "t2": "torch 2", "t2c": "torch 2 compiled", "jax": "jax"}[tool], None, None, rss_mib(base)

runs = {}
for line in open(f"{out}/runs.tsv"):
    case, tool, variant, status, base = line.rstrip("\n").split("\t")
    runs[(case, tool, variant)] = (status, base)
cases = [l.rstrip("\n").split("|") for l in open(f"{out}/cases.txt")]
notes = [l.rstrip("\n") for l in open(f"{out}/notes.txt")]
if notes:
    print()
    for n in notes:
        print(f"- {n}")

for case, title, epochs in cases:
    tools = [t for t in ORDER if (case, t, "quiet") in runs]
    res, rounds = {}, {}
    for t in tools:
        label, s, fig, rss = result(t, *runs[(case, t, "quiet")])
        more = [result(t, *runs[k])[1] for k in sorted(runs) if k[0] == case and k[1] == t and re.fullmatch(r"quiet\d+", k[2])]
        rounds[t] = [x for x in [s] + more if x is not None]
        res[t] = (label, median(rounds[t]) if rounds[t] and s is not None else s, fig, rss)
    vp = res.get("vaepipe", (None, None, None, None))
    vp_s, vp_fig = vp[1], vp[2]
    n_train = None
    try:
        n_train = json.load(open(runs[(case, "vaepipe", "quiet")][1] + ".run/run.json")).get("train_examples")
    except (KeyError, OSError, ValueError):
        pass
    test = not case.startswith("folder")
    print(f"\n## {case}: {title}; {epochs} epoch{'s' if epochs != '1' else ''}"
          + (f", {n_train} training images" if n_train else ""))
    fig_name = "test neg-ELBO" if test else "train neg-ELBO (last epoch)"
    head = ["tool", "median s/epoch" + (" (each round)" if any(len(r) > 1 for r in rounds.values()) else ""), "vaepipe speed-up", fig_name, "vs vaepipe", "peak RSS MiB"]
    if "cotenant" in flags:
        head.append("slowdown with co-tenant")
    if "prescott" in flags:
        head.append("OPENBLAS_CORETYPE=PRESCOTT s/epoch")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for t in tools:
        label, s, fig, rss = res[t]
        status, base = runs[(case, t, "quiet")]
        if s is None:
            row = [label, f"failed ({os.path.relpath(base, out)}.log)", "", "", "", f"{rss:.0f}" if rss else ""]
        else:
            up = "" if not vp_s else f"{s / vp_s:.2f}x"
            diff = "-" if t == "vaepipe" else "" if vp_fig is None or fig is None else f"{100 * (fig - vp_fig) / abs(vp_fig):+.2f}%"
            shown = secs(s) + (" (" + ", ".join(secs(x) for x in rounds[t]) + ")" if len(rounds[t]) > 1 else "")
            row = [label, shown, up, f"{fig:.2f}" if fig is not None else "", diff, f"{rss:.0f}" if rss else ""]
        if "cotenant" in flags:
            busy = runs.get((case, t, "busy"))
            b = result(t, *busy)[1] if busy else None
            row.append(f"{b / s:.2f}x" if b and s else "")
        if "prescott" in flags:
            pre = runs.get((case, t, "prescott"))
            p = result(t, *pre)[1] if pre else None
            row.append(secs(p) if p else "")
        print("| " + " | ".join(row) + " |")
    peers = [(res[t][1], res[t][0]) for t in tools if t != "vaepipe" and res[t][1] is not None]
    print()
    if peers and vp_s:
        s, label = min(peers)
        print(f"fastest peer: {label}, vaepipe is {s / vp_s:.2f}x faster" if s >= vp_s
              else f"fastest peer: {label}, vaepipe is {vp_s / s:.2f}x slower")
    else:
        print("fastest peer: none ran" if vp_s else "fastest peer: (vaepipe failed)")
    if int(epochs) < 3:
        print("\n(fewer than 3 epochs: the median includes the first epoch, with torch.compile's and XLA's"
              " compilation and every tool's warm-up; a trial run, not a measurement)")
    # vaepipe's own description of the model and backend, from its output.
    if (case, "vaepipe", "quiet") in runs:
        base = runs[(case, "vaepipe", "quiet")][1]
        try:
            lines = [l.strip() for l in open(base + ".log") if l.startswith(("model:", "backend:", "compute:", "warning:"))]
        except OSError:
            lines = []
        for l in dict.fromkeys(lines):
            print(f"\nvaepipe {l}")
        if not lines:  # --quiet prints none of them (vaepipe's Console.info)
            try:
                r = json.load(open(base + ".run/run.json"))
                o = r.get("options", {})
                print(f"\nvaepipe printed no model:/backend: line (--quiet); its run.json: arch {o.get('arch')}, "
                      f"image {'x'.join(map(str, r.get('image_shape', [])))}, hidden {o.get('hidden')}, "
                      f"latent {o.get('latent')}, width {o.get('width')}, threads {r.get('threads')}")
            except (OSError, ValueError):
                pass
PYEOF
cat "$OUT/report.md"
