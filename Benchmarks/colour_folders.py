#!/usr/bin/env python3
"""Builds one of the two real colour image folders that make_colour_folders.sh writes.

    colour_folders.py SET OUT [--processes N] [--manifest FILE]
    colour_folders.py sheet FOLDER OUT.png [--cols 16] [--rows 8] [--seed 0]

SET is `icons` (Papirus, Oxygen and Breeze icon themes, Noto Color Emoji) or `gameart`
(Battle for Wesnoth, SuperTux, Hedgewars, Pingus and FreedroidRPG sprites, tiles and
portraits), read from the Debian packages that make_colour_folders.sh installs. Every image
becomes a 64x64 RGB PNG in OUT/<class>/<name>.png:

  * alpha is composited over white at the source's resolution (so resizing never darkens
    an edge); an image with transparency is trimmed to what it draws (alpha > 16) and fitted
    inside 64x64, centred on white; an opaque one (photo, texture, background, or a trimmed
    sprite that fills its box) is centre-cropped to a square instead;
  * SVGs are rendered by rsvg-convert at 128 px; emoji are the font's own colour bitmaps;
  * horizontal or vertical strips of square animation frames (Hedgewars, Pingus, SuperTux)
    keep their first frame;
  * dropped: sources under 16 px or over 5:1 after trimming, images more than 97% white,
    images of (nearly) one colour, and exact duplicates of an earlier 64x64 image (SHA-1 of
    the pixels); sources are walked in sorted order, symlinks resolved and each target read
    once, so the result and its names are the same on every run;
  * a class with more images than its cap keeps an evenly spaced subset (in sorted order),
    which thins long runs of animation frames instead of dropping whole units.

Needs Pillow, numpy and fontTools (Debian: python3-pil python3-numpy python3-fonttools),
librsvg2-bin for `icons` and unicode-data for the emoji groups.
"""
import argparse
import hashlib
import io
import multiprocessing
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict

import numpy as np
from PIL import Image

SIZE = 64
SVG_PX = 128          # rsvg-convert render size before trimming and resizing
ALPHA_MIN = 16        # alpha above this counts as drawn when trimming
MIN_SIDE = 16         # trimmed sources smaller than this are too small to upscale
MAX_ASPECT = 5.0      # thin bars and borders
WHITE_FRAC = 0.97     # more than this share of (near) white pixels: near-empty
FLAT_STD = 4.0        # largest per-channel standard deviation below this: one colour
SMALL_CLASS = 40      # icon classes smaller than this are merged into <theme>-other

RASTER = (".png", ".jpg", ".jpeg")


def slug(s):
    s = re.sub(r"[^A-Za-z0-9._+-]+", "-", s).strip("-._")
    return s or "x"


def walk(root, exts):
    """Files under root with one of exts, sorted by path relative to root."""
    out = []
    for dp, dns, fns in os.walk(root):
        dns.sort()
        for f in sorted(fns):
            if f.lower().endswith(exts):
                p = os.path.join(dp, f)
                out.append((os.path.relpath(p, root), p))
    out.sort()
    return out


# ---------------------------------------------------------------- sources
# Each item: (label, name, kind, payload, strips) with kind "file" (payload: path; raster or
# SVG by extension) or "png" (payload: PNG bytes). name is unique within the label.

ICONS = "/usr/share/icons"
PAPIRUS_COLOURS = ("adwaita black blue bluegrey breeze brown carmine custom cyan darkcyan deeporange "
                   "green grey indigo magenta nordic orange palebrown paleorange pink red teal violet "
                   "white yaru yellow").split()
PAPIRUS_VARIANT = re.compile(r"^(folder|user)-(%s)(-|\.svg$)" % "|".join(PAPIRUS_COLOURS))


def papirus_items():
    items = []
    for cat in ("apps", "devices", "mimetypes", "places"):
        for rel, p in walk(f"{ICONS}/Papirus/64x64/{cat}", (".svg",)):
            # A place is drawn in 26 folder colours: keep the theme's default (what the
            # colourless names link to), not every recolouring.
            if cat == "places" and PAPIRUS_VARIANT.match(rel):
                continue
            items.append((f"papirus-{cat}", rel[:-4], p))
    return items


def largest_per_name(theme_dir, layout, cats, sizes, ext):
    """One file per (category, icon name): the largest size the theme has it in."""
    best = {}
    for cat in cats:
        for size in sizes:  # largest first
            d = f"{theme_dir}/{layout(cat, size)}"
            if not os.path.isdir(d):
                continue
            for rel, p in walk(d, (ext,)):
                best.setdefault((cat, rel[: -len(ext)]), p)
    return [(cat, name, p) for (cat, name), p in sorted(best.items())]


def oxygen_items():
    sizes = ["256x256", "128x128", "64x64", "48x48", "32x32"]
    cats = sorted(os.listdir(f"{ICONS}/oxygen/base/48x48"))
    return [(f"oxygen-{c}", n, p) for c, n, p in
            largest_per_name(f"{ICONS}/oxygen/base", lambda c, s: f"{s}/{c}", cats, sizes, ".png")]


def breeze_items():
    # Breeze's actions and status are single-colour symbols; these categories are in colour.
    cats = ["applets", "apps", "categories", "devices", "mimetypes", "places", "preferences"]
    sizes = ["256", "128", "96", "64", "48", "32"]
    return [(f"breeze-{c}", n, p) for c, n, p in
            largest_per_name(f"{ICONS}/breeze", lambda c, s: f"{c}/{s}", cats, sizes, ".svg")]


EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
SKIN_TONES = set(range(0x1F3FB, 0x1F400))


def emoji_items():
    """Noto Color Emoji's bitmaps, labelled by Unicode emoji group; skin-tone variants and
    components (hair, tone swatches) are left out, so each emoji is drawn once."""
    from fontTools.ttLib import TTFont

    groups = {}
    group = None
    with open(EMOJI_TEST, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
            elif line.strip() and not line.startswith("#"):
                cps, rest = line.split(";", 1)
                seq = tuple(int(c, 16) for c in cps.split() if c != "FE0F")
                name = rest.split("#", 1)[1].strip().split(" ", 2)[-1] if "#" in rest else ""
                groups.setdefault(tuple(sorted(seq)), (group, name, seq))

    font = TTFont(EMOJI_FONT)
    glyph_cp = {}
    for cp, g in sorted(font.getBestCmap().items()):
        glyph_cp.setdefault(g, cp)
    seqs = {g: (cp,) for g, cp in glyph_cp.items()}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        if lookup.LookupType != 4:
            continue
        for st in lookup.SubTable:
            for first, ligs in sorted(st.ligatures.items()):
                for lig in ligs:
                    comps = [first] + list(lig.Component)
                    if all(c in glyph_cp for c in comps):
                        seq = tuple(glyph_cp[c] for c in comps if glyph_cp[c] != 0xFE0F)
                        if lig.LigGlyph not in seqs or len(seq) < len(seqs[lig.LigGlyph]):
                            seqs[lig.LigGlyph] = seq
    strike = font["CBDT"].strikeData[0]
    items = []
    for g in sorted(strike):
        # The font's ligatures list a sequence's code points in their own order, so they are
        # matched to emoji-test.txt as a multiset.
        seq = tuple(sorted(seqs.get(g, ())))
        if not seq or seq not in groups or SKIN_TONES & set(seq):
            continue
        grp, name, seq = groups[seq]
        if grp == "Component":
            continue
        bmp = strike[g]
        if hasattr(bmp, "ensureDecompiled"):
            bmp.ensureDecompiled()
        data = getattr(bmp, "imageData", None)
        if not data:
            continue
        code = "_".join("%04x" % c for c in seq)
        items.append((f"emoji-{slug(grp.lower().replace('&', ''))}", f"{code}-{slug(name.lower())}",
                      "png", data, False))
    return items


def icons_sources():
    files = papirus_items() + oxygen_items() + breeze_items()
    items = [(label, name, "file", p, False) for label, name, p in files]
    return items + emoji_items(), 10**9


WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/images"
SUPERTUX = "/usr/share/games/supertux2/images"
HEDGEWARS = "/usr/share/games/hedgewars/Data"
PINGUS = "/usr/share/games/pingus/data/images"
FREEDROID = "/usr/share/freedroidrpg/data/graphics"
WESNOTH_TERRAIN = ("bridge castle cave chasm desert_mountains embellishments flat forest frozen grass "
                   "hills interior mountains portals sand swamp unwalkable village walls water").split()
GAMEART_CAP = 2000    # per class: thins Wesnoth's runs of animation frames
# Wesnoth draws a hex's edges, corners and castle walls as separate transition pieces
# (grass-ne, castle-convex-tl, keep-castle-ccw-l, ...): keep the whole tiles and objects.
TERRAIN_PIECE = re.compile(r"(^|-)(n|ne|nw|s|se|sw|concave|convex|cw|ccw|to|mask|transition\d*)(-|$)")


def gameart_sources():
    spec = []  # (label, root, strips, keep(rel))

    def terrain_keep(rel):
        return not TERRAIN_PIECE.search(os.path.splitext(os.path.basename(rel))[0])
    spec.append(("wesnoth-units", f"{WESNOTH}/units", False, None))
    spec.append(("wesnoth-portraits", f"{WESNOTH}/portraits", False, None))
    for d in WESNOTH_TERRAIN:
        spec.append(("wesnoth-terrain", f"{WESNOTH}/terrain/{d}", False, terrain_keep))
    for d in ("attacks", "items", "scenery"):
        spec.append(("wesnoth-objects", f"{WESNOTH}/{d}", False, None))
    # (halo/ and projectiles/ are left out: faint, mostly transparent glows.)
    spec.append(("supertux-creatures", f"{SUPERTUX}/creatures", True, None))
    for d in ("objects", "powerups"):
        spec.append(("supertux-objects", f"{SUPERTUX}/{d}", True, None))
    for d in ("tiles", "decal"):
        spec.append(("supertux-tiles", f"{SUPERTUX}/{d}", True, None))
    spec.append(("supertux-worldmap", f"{SUPERTUX}/worldmap", True, None))
    spec.append(("supertux-backgrounds", f"{SUPERTUX}/background", False, None))
    spec.append(("hedgewars-graphics", f"{HEDGEWARS}/Graphics", True, None))
    spec.append(("hedgewars-themes", f"{HEDGEWARS}/Themes", True, None))
    spec.append(("hedgewars-graphics", f"{HEDGEWARS}/Forts", True, None))
    spec.append(("pingus", PINGUS, True, lambda rel: not rel.startswith("fonts/")))
    # FreedroidRPG: the PNG pictures (inventory, in-game, portrait) of each item and droid;
    # its 32-angle JPEG turntables are left out (near-copies, drawn on black).
    def png_only(rel):
        return rel.lower().endswith(".png")
    spec.append(("freedroid", f"{FREEDROID}/items", False, png_only))
    spec.append(("freedroid", f"{FREEDROID}/droids", False, png_only))

    items = []
    for label, root, strips, keep in spec:
        base = os.path.basename(root) if label.startswith(("wesnoth-terrain", "wesnoth-objects",
                                                           "supertux-objects", "supertux-tiles",
                                                           "freedroid")) or root.endswith("/Forts") else ""
        for rel, p in walk(root, RASTER):
            if keep and not keep(rel):
                continue
            name = os.path.splitext(os.path.join(base, rel))[0]
            items.append((label, name, "file", p, strips))
    return items, GAMEART_CAP


# ---------------------------------------------------------------- one image

def load(kind, payload):
    if kind == "png":
        return Image.open(io.BytesIO(payload))
    if payload.lower().endswith(".svg"):
        r = subprocess.run(["rsvg-convert", "-w", str(SVG_PX), "-h", str(SVG_PX), "-a", payload],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        if r.returncode != 0 or not r.stdout:
            raise ValueError("rsvg-convert failed")
        return Image.open(io.BytesIO(r.stdout))
    return Image.open(payload)


def first_frame(im):
    w, h = im.size
    if w >= 2 * h and w % h == 0:
        return im.crop((0, 0, h, h))
    if h >= 2 * w and h % w == 0:
        return im.crop((0, 0, w, w))
    return im


def square_crop(im):
    w, h = im.size
    s = min(w, h)
    l, t = (w - s) // 2, (h - s) // 2
    return im.crop((l, t, l + s, t + s))


def to64(item):
    """(index, pixels bytes or None, reason)"""
    idx, (label, name, kind, payload, strips) = item
    try:
        im = load(kind, payload)
        im.load()
        if im.mode in ("I", "I;16", "F"):
            im = im.convert("L")
        im = im.convert("RGBA")
        if strips:
            im = first_frame(im)
        a = np.asarray(im)[:, :, 3]
        if a.min() < 255:
            ys, xs = np.nonzero(a > ALPHA_MIN)
            if len(xs) == 0:
                return idx, None, "transparent"
            im = im.crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
        w, h = im.size
        if max(w, h) < MIN_SIDE:
            return idx, None, "small"
        if max(w, h) > MAX_ASPECT * min(w, h):
            return idx, None, "thin"
        opaque = np.asarray(im)[:, :, 3].min() >= 250
        flat = Image.new("RGBA", im.size, (255, 255, 255, 255))
        flat.alpha_composite(im)
        rgb = flat.convert("RGB")
        if opaque:  # fills its frame: a photo, texture or background
            out = square_crop(rgb).resize((SIZE, SIZE), Image.LANCZOS)
        else:       # a drawn shape: fit inside, centred on white
            s = SIZE / max(w, h)
            nw, nh = max(1, round(w * s)), max(1, round(h * s))
            out = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
            out.paste(rgb.resize((nw, nh), Image.LANCZOS), ((SIZE - nw) // 2, (SIZE - nh) // 2))
        px = np.asarray(out)
        if (px.min(axis=2) >= 245).mean() > WHITE_FRAC:
            return idx, None, "white"
        if px.reshape(-1, 3).std(axis=0).max() < FLAT_STD:
            return idx, None, "flat"
        return idx, px.tobytes(), "ok"
    except Exception as e:  # unreadable or unsupported source: skipped, counted
        return idx, None, "error:" + type(e).__name__


# ---------------------------------------------------------------- folder

def sheet(argv):
    """A contact sheet: cols x rows images drawn at random (seeded) from FOLDER's PNGs,
    1 px magenta between them, so a background that is not white stands out."""
    import random
    ap = argparse.ArgumentParser(prog="colour_folders.py sheet")
    ap.add_argument("folder")
    ap.add_argument("out")
    ap.add_argument("--cols", type=int, default=16)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    files = sorted(rel for rel, _ in walk(args.folder, (".png",)))
    pick = random.Random(args.seed).sample(files, min(len(files), args.cols * args.rows))
    step = SIZE + 1
    out = Image.new("RGB", (args.cols * step + 1, args.rows * step + 1), (255, 0, 255))
    for i, rel in enumerate(pick):
        out.paste(Image.open(os.path.join(args.folder, rel)).convert("RGB"),
                  (1 + (i % args.cols) * step, 1 + (i // args.cols) * step))
    out.save(args.out)


def main():
    if sys.argv[1:2] == ["sheet"]:
        return sheet(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("set", choices=["icons", "gameart"])
    ap.add_argument("out")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--manifest", help="TSV: class, file, source (kept outside the image folder)")
    args = ap.parse_args()

    items, cap = icons_sources() if args.set == "icons" else gameart_sources()
    # Resolve symlinks and read each target once (the first name in sorted order wins).
    items.sort(key=lambda it: (it[0], it[1]))
    seen, unique = set(), []
    for it in items:
        key = os.path.realpath(it[3]) if it[2] == "file" else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append(it)
    print(f"{args.set}: {len(items)} candidates, {len(unique)} distinct sources", file=sys.stderr)

    reasons = Counter()
    hashes = set()
    kept = defaultdict(list)  # label -> [(name, pixels, source)]
    with multiprocessing.Pool(args.processes) as pool:
        for n, (idx, px, why) in enumerate(pool.imap(to64, enumerate(unique), chunksize=8)):
            if px is not None:
                h = hashlib.sha1(px).digest()
                if h in hashes:
                    why = "duplicate"
                else:
                    hashes.add(h)
                    label, name, kind, payload, _ = unique[idx]
                    src = payload if kind == "file" else f"{EMOJI_FONT}#{name}"
                    kept[label].append((name, px, src))
            reasons[why.split(":")[0]] += 1
            if (n + 1) % 2000 == 0:
                print(f"  {n + 1}/{len(unique)}", file=sys.stderr)

    # Icon classes too small to stand alone join their theme's "other" class.
    merged = defaultdict(list)
    for label in sorted(kept):
        if args.set == "icons" and len(kept[label]) < SMALL_CLASS and not label.startswith("emoji-"):
            merged[label.split("-")[0] + "-other"].extend(kept[label])
        else:
            merged[label].extend(kept[label])

    os.makedirs(args.out, exist_ok=True)
    rows, total = [], 0
    for label in sorted(merged):
        entries = sorted(merged[label], key=lambda e: e[0])
        if len(entries) > cap:  # evenly spaced in sorted order
            entries = [entries[i * len(entries) // cap] for i in range(cap)]
        os.makedirs(os.path.join(args.out, label), exist_ok=True)
        used = set()
        for name, px, src in entries:
            base = slug(name.replace("/", "_"))
            fn, k = base, 1
            while fn in used:
                k += 1
                fn = f"{base}-{k}"
            used.add(fn)
            Image.frombytes("RGB", (SIZE, SIZE), px).save(
                os.path.join(args.out, label, fn + ".png"), optimize=False)
            rows.append(f"{label}\t{label}/{fn}.png\t{src}")
        total += len(entries)
        print(f"  {label}: {len(entries)}" + (f" (of {len(merged[label])})" if len(merged[label]) > len(entries) else ""),
              file=sys.stderr)
    print(f"{args.set}: {total} images in {len(merged)} classes; sources: " +
          ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())), file=sys.stderr)
    if args.manifest:
        with open(args.manifest, "w") as f:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
