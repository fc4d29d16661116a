#!/usr/bin/env bash
# Writes the image-folder benchmark set: 12,800 photo-like 64x64 RGB PNGs in 10 class sub-folders
# (make_images.py --square: exactly 64x64, so neither vaepipe nor PyTorch resizes anything),
# seeded and deterministic. compare.sh's `folder` case calls it when the folder is missing.
#
# usage: Benchmarks/make_folder64.sh [DIR] [COUNT]   (default /tmp/vaepipe-folder64, 12800)
# env:   PY (default /usr/bin/python3, needs numpy and Pillow), SEED (1), PROCESSES (cores)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-/tmp/vaepipe-folder64}
COUNT=${2:-12800}
PY=${PY:-/usr/bin/python3}
"$PY" -c "import numpy, PIL" 2>/dev/null || {
  echo "make_folder64.sh: needs numpy and Pillow for $PY (Debian: apt-get install python3-numpy python3-pil)" >&2; exit 1; }
[ -e "$DIR" ] && { echo "make_folder64.sh: $DIR already exists; remove it to write it again" >&2; exit 1; }
# Written beside, then renamed: an interrupted run never leaves a half folder under DIR.
tmp="$DIR.partial.$$"
trap 'rm -rf "$tmp"' EXIT
"$PY" "$HERE/make_images.py" "$tmp" --count "$COUNT" --format png --size 64 --square --classes 10 \
  --seed "${SEED:-1}" --processes "${PROCESSES:-$(nproc)}" >&2
mv "$tmp" "$DIR"
trap - EXIT
echo "$DIR: $COUNT 64x64 RGB PNGs" >&2
