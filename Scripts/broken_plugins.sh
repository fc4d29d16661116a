#!/usr/bin/env bash
# What `vaepipe --plugin FILE plugins` says to each broken plugin file in a directory, with its
# exit status and peak RSS, as a Markdown table. The files are the ones
# PluginCLITests.testBadPluginsAreRefusedWithOneLineAndNothingWritten builds (its temporary
# directory is kept): by default the newest such directory in /tmp.
# usage: Scripts/broken_plugins.sh [DIR] [VAEPIPE]   (VAEPIPE default: .build/release/vaepipe)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$(ls -dt /tmp/vaepipe-tests-testBadPluginsAreRefused* 2>/dev/null | head -1)}
bin=${2:-$ROOT/.build/release/vaepipe}
[ -d "$dir" ] || { echo "no directory of broken plugins (run: swift test --filter testBadPluginsAreRefused)" >&2; exit 2; }
echo "| file | bytes | exit | peak RSS | what vaepipe says |"
echo "|---|---|---|---|---|"
for f in "$dir"/*.so "$dir"/*.o; do
  [ -e "$f" ] || continue
  out=$(mktemp)
  set +e
  /usr/bin/time -f "%M" -o "$out.rss" "$bin" --plugin "$f" plugins >/dev/null 2>"$out"
  status=$?
  set -e
  message=$(sed "s|$dir/||g" "$out" | tr '\n' ' ')
  echo "| $(basename "$f") | $(stat -c %s "$f") | $status | $(( $(tail -1 "$out.rss") / 1024 )) MB | ${message% } |"
  rm -f "$out" "$out.rss"
done
