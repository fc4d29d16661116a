#!/usr/bin/env bash
# The hostile checkpoints of Tests/PluginTests/HostileCheckpointTests.swift, given to the release
# CLI one by one (`vaepipe sample --run FILE`): what each prints, its exit status and its peak RSS
# (/usr/bin/time -v), as a Markdown table. The test writes the files (VAEPIPE_HOSTILE_OUT), so the
# kinds are defined once.
#
# usage: Scripts/hostile_checkpoints.sh [OUT_DIR]     (default: a new temporary dir)
#   VAEPIPE: the binary (default .build/release/vaepipe; this script does not build it)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAEPIPE=${VAEPIPE:-$ROOT/.build/release/vaepipe}
OUT=${1:-$(mktemp -d /tmp/vaepipe-hostile.XXXXXX)}
[ -x "$VAEPIPE" ] || { echo "no vaepipe binary at $VAEPIPE: build it first (swift build -c release)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
mkdir -p "$OUT"
(cd "$ROOT" && VAEPIPE_HOSTILE_OUT="$OUT" swift test --filter HostileCheckpointTests/testEveryKindOfHostileCheckpointGetsAClearError >/dev/null 2>&1) \
  || { echo "the hostile-checkpoint test failed: swift test --filter HostileCheckpointTests" >&2; exit 1; }
echo "| kind | exit | peak RSS MiB | what vaepipe sample prints |"
echo "|---|---|---|---|"
while IFS=$'\t' read -r file kind; do
  set +e
  /usr/bin/time -v -o "$OUT/$file.time" "$VAEPIPE" sample --run "$OUT/$file" --out "$OUT/$file.png" >"$OUT/$file.out" 2>&1
  status=$?
  set -e
  rss=$(awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$OUT/$file.time")
  message=$(grep -v '^$' "$OUT/$file.out" | tail -1 | sed "s|$OUT/||g; s/|/\\\\|/g")
  echo "| $kind | $status | $rss | $message |"
done < "$OUT/kinds.tsv"
