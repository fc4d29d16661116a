#!/usr/bin/env bash
# Builds a libFuzzer target with AddressSanitizer and runs it for a given time.
#
# usage: Fuzz/run.sh TARGET [SECONDS [LIBFUZZER-FLAGS...]]      (default 60 s)
#   checkpoint   the safetensors checkpoint reader (Checkpoint.decode: header, metadata,
#                configuration, tensor table, values)
#   png          PNG header (IHDR/tRNS walk in Swift, libpng's own reading) and decode (libpng)
#   jpeg         JPEG markers and EXIF orientation (Swift), libjpeg's header and decode at every DCT
#                scale, then the orientation turn; the input's first 3 bytes pick scale and limits
#   idx          IDX files, raw or gzip, alone or as a train- directory with labels (first 3 bytes
#                pick the layout); each input is written to a scratch file
#   runjson      run.json as `train --resume` reads it: RunInfo.read, then its arguments parsed
#                and validated by the CLI's Train command (VAEPipeKit's own sources, unmodified)
#   folder       the image-folder adapter on a folder of one file: header pass, decode, resize
#                (first 2 bytes pick name, size, resize mode, channels, cache)
#   pluginfile   the shared-object check a plugin file passes before dlopen (SharedObjectCheck)
# Seeds come from Fuzz/corpus/TARGET (kept small, in the repository; Fuzz/make_seeds.py writes
# the image, IDX and run.json ones). New inputs go to .build/fuzz/TARGET-corpus; a crash, leak
# or timeout leaves its input in .build/fuzz/ and fails the run: add it to the seeds and to a
# regression test once fixed. A finding that is known but not yet fixed (in code a fuzzing
# change does not own) is kept as Fuzz/corpus/TARGET/open-*: left out of the run, so the run
# still searches for new ones; drop the prefix once it is fixed. Fuzz/TARGET.dict, when there is
# one, gives libFuzzer the format's words; Fuzz/TARGET.lsan suppresses known, reported leaks.
#
# SwiftPM cannot build a fuzz target (libFuzzer brings its own main). So each module a target
# needs is compiled here with swiftc, instrumented, into a static library in .build/fuzz/lib,
# in dependency order (the plugins import the core, so one swiftc call cannot take them all);
# C with clang. A library is rebuilt when this script, a source of it or a library it uses is
# newer. Modules get -enable-testing, so the targets reach internal parsers by @testable import.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-}
seconds=${2:-60}
shift $(($# > 2 ? 2 : $#))
usage="usage: $0 checkpoint|png|jpeg|idx|runjson|folder|pluginfile [seconds [libFuzzer flags...]]"
case $target in
  checkpoint|pluginfile) modules=(CKernels CVAEPipePlugin VAEPipeCore) ;;
  png|jpeg) modules=(CImageShim VAEPipeImageCodecs) ;;
  idx|folder) modules=(CKernels CVAEPipePlugin VAEPipeCore CImageShim VAEPipeImageCodecs VAEPipeAdapters) ;;
  runjson) modules=(ArgumentParserToolInfo ArgumentParser CKernels CVAEPipePlugin VAEPipeCore CImageShim
                    VAEPipeImageCodecs VAEPipeAdapters VAEPipeHeads VAEPipeExporters VAEPipeBuiltinPlugins CMPIShim
                    VAEPipeKit) ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
case $target in
  checkpoint) sources=(CheckpointFuzz.swift) ;;
  pluginfile) sources=(PluginFileFuzz.swift) ;;
  png) sources=(PNGFuzz.swift) ;;
  jpeg) sources=(JPEGFuzz.swift) ;;
  idx) sources=(IDXFuzz.swift ScratchDirectory.swift) ;;
  runjson) sources=(RunJSONFuzz.swift ScratchDirectory.swift) ;;
  folder) sources=(FolderFuzz.swift ScratchDirectory.swift) ;;
esac
OUT=$ROOT/.build/fuzz
mkdir -p "$OUT/objects" "$OUT/lib" "$OUT/modules" "$OUT/$target-corpus"
cat > "$OUT/modules/module.modulemap" <<EOF
module CKernels {
    header "$ROOT/Sources/CKernels/include/CKernels.h"
    export *
}
module CImageShim {
    header "$ROOT/Sources/CImageShim/include/CImageShim.h"
    export *
}
module CMPIShim {
    header "$ROOT/Sources/CMPIShim/include/CMPIShim.h"
    export *
}
EOF
# The system-library targets' own module maps, and the headers they include.
packages=(libpng libjpeg zlib)
case $target in runjson) packages+=(ompi-c) ;; esac  # the CLI's MPI shim
# shellcheck disable=SC2207
pkg_cflags=($(pkg-config --cflags "${packages[@]}"))
# shellcheck disable=SC2207
pkg_libs=($(pkg-config --libs "${packages[@]}"))  # after the static libraries that use them
CLANG_FLAGS=(-O1 -g -fsanitize=address,fuzzer-no-link "${pkg_cflags[@]}")
SWIFT_FLAGS=(-parse-as-library -O -wmo -g -swift-version 6 -sanitize=fuzzer,address -enable-testing
             -I "$OUT/modules" -I "$ROOT/Sources/CZlib" -I "$ROOT/Sources/CPNG" -I "$ROOT/Sources/CJPEG"
             -I "$ROOT/Sources/CVAEPipePlugin/include" -I "$ROOT/Sources/CMPI")
for f in "${pkg_cflags[@]}"; do SWIFT_FLAGS+=(-Xcc "$f"); done

stale() {  # library, then the files and directories it is made from
  local lib=$1; shift
  [ ! -f "$lib" ] || [ -n "$(find "$0" "$@" -newer "$lib" -print -quit)" ]
}

c_library() {  # name, source directory
  local lib=$OUT/lib/lib$1.a
  stale "$lib" "$2" || return 0
  echo "building $1" >&2
  rm -rf "${OUT:?}/objects/$1" && mkdir -p "$OUT/objects/$1"
  for f in "$2"/*.c; do
    clang "${CLANG_FLAGS[@]}" -I"$2/include" -I"$2" -c "$f" -o "$OUT/objects/$1/$(basename "$f" .c).o"
  done
  rm -f "$lib" && ar rcs "$lib" "$OUT/objects/$1"/*.o
}

swift_library() {  # name, source directory, libraries it uses
  local name=$1 dir=$2 uses=() files=(); shift 2
  for u in "$@"; do uses+=("$OUT/lib/lib$u.a"); done
  local lib=$OUT/lib/lib$name.a
  stale "$lib" "$dir" "${uses[@]}" || return 0
  echo "building $name" >&2
  mapfile -d '' files < <(find "$dir" -name '*.swift' -print0 | sort -z)
  # Our modules are one package, as SwiftPM builds them (retroactive conformances among them are fine).
  local package=(-package-name vaepipe)
  case $name in ArgumentParser*) package=() ;; esac
  # swiftc gives up when a source changes under it (someone editing while this builds): again.
  local try
  for try in 1 2 3; do
    if swiftc "${SWIFT_FLAGS[@]}" "${package[@]}" -module-name "$name" -emit-module \
         -emit-module-path "$OUT/modules/$name.swiftmodule" -emit-library -static "${files[@]}" -o "$lib" \
         2> >(grep -v "Cannot export local symbol" | tee "$OUT/$name.log" >&2); then
      return 0
    fi
    grep -q "was modified during the build" "$OUT/$name.log" || return 1
    echo "building $name again (try $((try + 1)))" >&2
  done
  return 1
}

parser_sources() {  # the CLI's one package dependency, checked out as Package.resolved pins it
  (cd "$ROOT" && swift package --scratch-path "$OUT/spm" resolve >&2)
  echo "$OUT/spm/checkouts/swift-argument-parser/Sources"
}

# In dependency order, as Package.swift declares it; linked in reverse, so users come before
# what they use.
libs=()
for m in "${modules[@]}"; do
  case $m in
    ArgumentParserToolInfo) swift_library "$m" "$(parser_sources)/$m" ;;
    ArgumentParser) swift_library "$m" "$(parser_sources)/$m" ArgumentParserToolInfo ;;
    CKernels) c_library "$m" "$ROOT/Sources/CKernels" ;;
    CImageShim) c_library "$m" "$ROOT/Sources/CImageShim" ;;
    CVAEPipePlugin) c_library "$m" "$ROOT/Sources/CVAEPipePlugin" ;;
    CMPIShim) c_library "$m" "$ROOT/Sources/CMPIShim" ;;
    VAEPipeCore) swift_library "$m" "$ROOT/Sources/VAEPipeCore" CKernels CVAEPipePlugin ;;
    VAEPipeImageCodecs) swift_library "$m" "$ROOT/Plugins/ImageCodecs" CImageShim ;;
    VAEPipeAdapters) swift_library "$m" "$ROOT/Plugins/Adapters" VAEPipeCore VAEPipeImageCodecs ;;
    VAEPipeHeads) swift_library "$m" "$ROOT/Plugins/Heads" VAEPipeCore ;;
    VAEPipeExporters) swift_library "$m" "$ROOT/Plugins/Exporters" VAEPipeCore VAEPipeImageCodecs ;;
    VAEPipeBuiltinPlugins) swift_library "$m" "$ROOT/Plugins/Builtin" VAEPipeAdapters VAEPipeHeads VAEPipeExporters ;;
    VAEPipeKit) swift_library "$m" "$ROOT/Sources/VAEPipeKit" VAEPipeBuiltinPlugins CMPIShim ArgumentParser ;;
  esac
  libs=("-l$m" "${libs[@]}")
done

paths=()
for s in "${sources[@]}"; do paths+=("$ROOT/Fuzz/$s"); done
swiftc "${SWIFT_FLAGS[@]}" -module-name "${target}_fuzz" "${paths[@]}" -L "$OUT/lib" "${libs[@]}" "${pkg_libs[@]}" -lm \
  -o "$OUT/$target-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)
seeds=$OUT/$target-seeds
rm -rf "$seeds" && mkdir -p "$seeds"
for f in "$ROOT/Fuzz/corpus/$target"/*; do
  case $(basename "$f") in
    open-*) echo "left out, an open finding: ${f#"$ROOT"/}" >&2 ;;
    *) cp "$f" "$seeds/" ;;
  esac
done
flags=(-max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
[ -f "$ROOT/Fuzz/$target.dict" ] && flags+=(-dict="$ROOT/Fuzz/$target.dict")
[ -f "$ROOT/Fuzz/$target.lsan" ] && export LSAN_OPTIONS=suppressions=$ROOT/Fuzz/$target.lsan
# libFuzzer reports a crash with its own symbolised stack; Swift's backtracer, started on top,
# can hang the process. The outer timeout bounds the whole run all the same.
export SWIFT_BACKTRACE=enable=no
cd "$OUT"
timeout $((seconds + 120)) "./$target-fuzz" "${flags[@]}" "$@" "$OUT/$target-corpus" "$seeds"
