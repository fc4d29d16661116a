#!/usr/bin/env bash
# Decode throughput: a folder of JPEGs and one of PNGs (about 200x200 photo-like images, made
# by make_images.py) decoded and resized to 64x64 RGB Float32, by vaepipe and by Pillow, with 1
# and 2 workers. Best of REPEAT runs each (the machine may be busy; the best run is the one
# least disturbed, for both sides alike).
#
# vaepipe: `vaepipe inspect --data DIR --size 64 --channels 3 --workers N`, whose decode pass is
# the training data path (header pass, then a Batcher filling Float32 batches of 128); the rate
# taken is the one that includes the header pass and the folder walk. Pillow: pillow_decode.py
# (draft() for JPEG, one BILINEAR resize with a crop box, float32 batches; multiprocessing for 2
# workers), timed over listing plus decoding. Neither counts process start-up.
#
# Needs: Swift 6, /usr/bin/python3 with Pillow and numpy (Debian: python3-pil python3-numpy).
# Usage: Benchmarks/decode_bench.sh     COUNT=2000 SIZE=200 REPEAT=3 BENCH_DIR=/tmp/vaepipe-decode-bench
#        SCRATCH=DIR builds vaepipe there instead of .build (while someone else builds in .build)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
COUNT=${COUNT:-2000}
SIZE=${SIZE:-200}
REPEAT=${REPEAT:-3}
DIR=${BENCH_DIR:-/tmp/vaepipe-decode-bench}
"$PY" -c "import PIL, numpy" 2>/dev/null || { echo "needs Pillow and numpy for $PY" >&2; exit 1; }
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" >/dev/null

for format in jpeg png; do
  if [ "$(find "$DIR/$format" -type f 2>/dev/null | wc -l)" -ne "$COUNT" ]; then
    rm -rf "${DIR:?}/$format"
    "$PY" Benchmarks/make_images.py "$DIR/$format" --count "$COUNT" --format "$format" --size "$SIZE" >&2
  fi
done

best() { sort -n | tail -1; }
vaepipe_rate() {  # folder workers
  for _ in $(seq "$REPEAT"); do
    "$SCRATCH/release/vaepipe" inspect --data "$1" --size 64 --channels 3 --workers "$2" \
      | sed -n 's/.*with the header pass ([0-9.]*s): \([0-9]*\) images\/s.*/\1/p'
  done | best
}
pillow_rate() {
  for _ in $(seq "$REPEAT"); do
    "$PY" Benchmarks/pillow_decode.py "$1" --size 64 --workers "$2" | sed -n 's/.*: \([0-9]*\) images\/s/\1/p'
  done | best
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $COUNT images of about ${SIZE}x${SIZE} per folder"
echo
echo "| format | workers | vaepipe images/s | Pillow images/s | vaepipe / Pillow |"
echo "|---|---|---|---|---|"
for format in jpeg png; do
  for workers in 1 2; do
    # Warm the page cache so neither side pays for the first read.
    cat "$DIR/$format"/*/* >/dev/null
    v=$(vaepipe_rate "$DIR/$format" "$workers")
    p=$(pillow_rate "$DIR/$format" "$workers")
    echo "| $format | $workers | $v | $p | $(awk -v v="$v" -v p="$p" 'BEGIN { printf "%.2fx", v / p }') |"
  done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg). Required: vaepipe / Pillow >= 1.5 for JPEG and >= 1.0 for PNG."
