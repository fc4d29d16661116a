#!/usr/bin/env bash
# Builds a libFuzzer target with AddressSanitizer and runs it for a given time.
#
# usage: Fuzz/run.sh TARGET [SECONDS]      (default 60)
#   checkpoint   the safetensors checkpoint reader (Checkpoint.decode: header, metadata,
#                configuration, tensor table, values)
# Seeds come from Fuzz/corpus/TARGET (kept small, in the repository). New inputs go to
# .build/fuzz/TARGET-corpus; a crash, leak or timeout leaves its input in .build/fuzz/ and fails
# the run: add it to the seeds and to a regression test once fixed.
#
# SwiftPM cannot build a fuzz target (libFuzzer brings its own main), so this compiles the core
# library's sources and the target in one swiftc call, and the C kernels with clang.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-}
seconds=${2:-60}
case $target in
  checkpoint) source=CheckpointFuzz.swift ;;
  *) echo "usage: $0 checkpoint [seconds]" >&2; exit 2 ;;
esac
OUT=$ROOT/.build/fuzz
mkdir -p "$OUT/objects" "$OUT/$target-corpus"
cat > "$OUT/module.modulemap" <<EOF
module CKernels {
    header "$ROOT/Sources/CKernels/include/CKernels.h"
    export *
}
EOF
for f in "$ROOT"/Sources/CKernels/*.c; do
  clang -O1 -g -fsanitize=address,fuzzer-no-link -I"$ROOT/Sources/CKernels/include" -I"$ROOT/Sources/CKernels" \
    -c "$f" -o "$OUT/objects/$(basename "$f" .c).o"
done
# shellcheck disable=SC2046
swiftc -parse-as-library -O -g -sanitize=fuzzer,address -module-name VAEPipeFuzz \
  -Xcc -fmodule-map-file="$OUT/module.modulemap" \
  $(find "$ROOT/Sources/VAEPipeCore" -name '*.swift') "$ROOT/Fuzz/$source" "$OUT"/objects/*.o -lm \
  -o "$OUT/$target-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)
cd "$OUT"
# libFuzzer can hang after reporting a crash (symbolising the Swift frames): the outer timeout
# bounds the whole run.
timeout $((seconds + 120)) "./$target-fuzz" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 "$OUT/$target-corpus" "$ROOT/Fuzz/corpus/$target"
