#!/usr/bin/env bash
# A run whose disk fills up mid-training, on a small tmpfs (needs root to mount it):
#   1. the same run on an ordinary disk, uninterrupted: the reference;
#   2. the run on a tmpfs that a filler file leaves just enough room for its first epochs: it must
#      stop with a clear message, non-zero, with its last checkpoint intact (Python's safetensors
#      loads it when installed);
#   3. the filler removed, `--resume` finishes the run: its weights must equal the reference's bit
#      for bit (every tensor compared by `cmp` on the raw bytes after the header).
# usage: sudo Scripts/disk_full.sh      (VAEPIPE: the binary, default .build/release/vaepipe;
#                                         DATA: Fashion-MNIST IDX dir)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
WORK=$(mktemp -d /tmp/vaepipe-diskfull.XXXXXX)
MNT=$WORK/small
[ -x "$VAEPIPE" ] || { echo "no vaepipe binary at $VAEPIPE: build it first (swift build -c release)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root to mount a tmpfs (sudo $0)" >&2; exit 1; }
ARGS=(--data "$DATA" --arch mlp --hidden 64 --latent 8 --limit 2560 --epochs 6 --seed 3 --quiet)

# The bytes after a safetensors header: the tensors, in the order the writer put them.
tensors() { python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", d[:8])[0]
sys.stdout.buffer.write(d[8 + n:])
EOF
}

"$VAEPIPE" train "${ARGS[@]}" --out "$WORK/reference"
ref_size=$(du -sb "$WORK/reference" | cut -f1)

mkdir -p "$MNT"
mount -t tmpfs -o size=16m tmpfs "$MNT"
trap 'umount "$MNT" 2>/dev/null || true' EXIT
# A checkpoint is rewritten every epoch through a temporary file, so the run needs room for two;
# the rest (TensorBoard events, galleries, metrics) grows epoch by epoch. Leave room for two
# checkpoints and half of the rest: the first epochs fit, a later write fails.
ckpt=$(stat -c %s "$WORK/reference/model.safetensors")
free=$(df -B1 --output=avail "$MNT" | tail -1)
filler=$((free - 2 * ckpt - (ref_size - ckpt) / 2))
head -c "$filler" /dev/zero > "$MNT/filler"
echo "tmpfs: $(df -B1 --output=avail "$MNT" | tail -1) bytes free for a run that writes $ref_size" >&2

set +e
"$VAEPIPE" train "${ARGS[@]}" --out "$MNT/run" 2> "$WORK/full.err"
status=$?
set -e
echo "== the run on the full disk: exit $status, it said:"
cat "$WORK/full.err"
[ "$status" != 0 ] || { echo "FAIL: the run did not notice the full disk" >&2; exit 1; }
ls -la "$MNT/run"
echo "epochs completed before the disk filled: $(wc -l < "$MNT/run/metrics.jsonl" 2>/dev/null || echo 0) of 6"
leftovers=$(find "$MNT/run" -name '*.tmp-*' | wc -l)
echo "temporary files left behind: $leftovers"
if python3 -c "import safetensors" 2>/dev/null; then
  python3 -c "
from safetensors.numpy import load_file; import sys
t = load_file(sys.argv[1]); print('checkpoint loads in safetensors:', len(t), 'tensors')" "$MNT/run/model.safetensors"
fi

rm "$MNT/filler"
"$VAEPIPE" train --resume "$MNT/run" --quiet
if cmp <(tensors "$WORK/reference/model.safetensors") <(tensors "$MNT/run/model.safetensors"); then
  echo "PASS: after --resume the weights and Adam moments equal the uninterrupted run's, bit for bit"
else
  echo "FAIL: the resumed run's tensors differ from the uninterrupted run's" >&2; exit 1
fi
