#!/usr/bin/env bash
# Writes two folders of real colour images from Debian packages, each image a 64x64 RGB PNG
# (alpha composited over white; a drawn shape is trimmed and fitted inside 64x64 centred on
# white, an opaque picture is centre-cropped), in class sub-folders named after the source:
#
#   ROOT/icons/    ~8,000 flat drawn colour graphics in 27 classes:
#                  papirus-icon-theme 20230104-2     (64x64 apps, mimetypes, devices, places;
#                                                     the default folder colour only),
#                  oxygen-icon-theme 5:5.103.0-1     (each icon once, at its largest size),
#                  breeze-icon-theme 4:5.103.0-1     (the colour categories; not the
#                                                     single-colour actions and status),
#                  fonts-noto-color-emoji 2.042-0+deb12u1 (each emoji once, no skin-tone
#                                                     variants, classed by unicode-data
#                                                     15.0.0-1's emoji groups);
#                  SVGs rendered by librsvg2-bin 2.54.7 (rsvg-convert).
#   ROOT/gameart/  ~8,600 game sprites, portraits, tiles and backgrounds in 13 classes:
#                  wesnoth-1.16-data 1:1.16.9-1      (units, at most 2,000 evenly spaced
#                                                     animation frames; portraits; whole
#                                                     terrain tiles; items, scenery, attacks),
#                  supertux-data 0.6.3-2, hedgewars-data 1.0.2-6, pingus-data 0.7.6-5.1,
#                  freedroidrpg-data 1.0-1           (its PNG pictures, not the JPEG turntables).
#
# Versions are those of Debian 12 (bookworm) when this was written; the ones installed are
# written to ROOT/NAME.sources.txt, with the class counts, and a warning is printed if they
# differ. Beside each folder (never inside it): NAME.sources.txt, NAME.manifest.tsv (class,
# file, source path) and NAME.sheet.png (a 16x8 contact sheet of random images).
# Dropped: exact duplicates after resizing, images >97% white or of one colour, sources under
# 16 px or thinner than 1:5. Walks the sources in sorted order: same packages, same folders,
# same names. Details: Benchmarks/colour_folders.py.
#
# usage: Benchmarks/make_colour_folders.sh [ROOT]     (default /tmp/vaepipe-colour)
# A folder already at ROOT/NAME is complete (it is renamed into place last) and is skipped;
# remove it to write it again. Installs its packages with apt-get (run as root), then works
# under nice -n 19 with at most 2 processes. env: PY (default /usr/bin/python3).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${1:-/tmp/vaepipe-colour}
PY=${PY:-/usr/bin/python3}
NAMES=(icons gameart)
COMMON=(python3-pil python3-numpy python3-fonttools)
declare -A PKGS=(
  [icons]="papirus-icon-theme oxygen-icon-theme breeze-icon-theme fonts-noto-color-emoji unicode-data librsvg2-bin"
  [gameart]="wesnoth-1.16-data supertux-data hedgewars-data pingus-data freedroidrpg-data"
)
declare -A EXPECTED=(
  [papirus-icon-theme]=20230104-2 [oxygen-icon-theme]=5:5.103.0-1 [breeze-icon-theme]=4:5.103.0-1
  [fonts-noto-color-emoji]=2.042-0+deb12u1 [unicode-data]=15.0.0-1
  [wesnoth-1.16-data]=1:1.16.9-1 [supertux-data]=0.6.3-2 [hedgewars-data]=1.0.2-6
  [pingus-data]=0.7.6-5.1 [freedroidrpg-data]=1.0-1
)

todo=()
for name in "${NAMES[@]}"; do
  if [ -d "$ROOT/$name" ]; then
    echo "make_colour_folders.sh: $ROOT/$name is complete; skipped" >&2
  else
    todo+=("$name")
  fi
done
[ ${#todo[@]} -eq 0 ] && exit 0

want=("${COMMON[@]}")
for name in "${todo[@]}"; do read -ra p <<<"${PKGS[$name]}"; want+=("${p[@]}"); done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
"$PY" -c "import numpy, PIL, fontTools" || {
  echo "make_colour_folders.sh: $PY lacks numpy, Pillow or fontTools (set PY to Debian's python3)" >&2; exit 1; }

mkdir -p "$ROOT"
tmp=""
trap 'if [ -n "$tmp" ]; then rm -rf "$tmp" "$tmp.manifest.tsv"; fi' EXIT
for name in "${todo[@]}"; do
  start=$SECONDS
  # Written beside, then renamed: an interrupted run never leaves a half folder at ROOT/NAME.
  tmp="$ROOT/.$name.partial.$$"
  rm -rf "$tmp"
  read -ra pkgs <<<"${PKGS[$name]}"
  for p in "${pkgs[@]}"; do
    v=$(dpkg-query -W -f='${Version}' "$p")
    [ -z "${EXPECTED[$p]:-}" ] || [ "$v" = "${EXPECTED[$p]}" ] ||
      echo "make_colour_folders.sh: warning: $p is $v, not ${EXPECTED[$p]}: $name will differ from the documented one" >&2
  done
  nice -n 19 "$PY" "$HERE/colour_folders.py" "$name" "$tmp" --processes 2 --manifest "$tmp.manifest.tsv"
  {
    echo "# $ROOT/$name: 64x64 RGB PNGs made by Benchmarks/make_colour_folders.sh from these Debian packages"
    dpkg-query -W -f='${Package}\t${Version}\n' "${pkgs[@]}" "${COMMON[@]}"
    echo "# images per class"
    for d in "$tmp"/*/; do printf '%s\t%d\n' "$(basename "$d")" "$(find "$d" -name '*.png' | wc -l)"; done
    printf 'total\t%d\n' "$(find "$tmp" -name '*.png' | wc -l)"
  } >"$ROOT/$name.sources.txt"
  nice -n 19 "$PY" "$HERE/colour_folders.py" sheet "$tmp" "$ROOT/$name.sheet.png"
  mv "$tmp.manifest.tsv" "$ROOT/$name.manifest.tsv"
  mv "$tmp" "$ROOT/$name"
  tmp=""
  echo "make_colour_folders.sh: $ROOT/$name: $(find "$ROOT/$name" -name '*.png' | wc -l) images in" \
       "$(find "$ROOT/$name" -mindepth 1 -maxdepth 1 -type d | wc -l) classes ($((SECONDS - start)) s)" >&2
done
