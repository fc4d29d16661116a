#!/usr/bin/env python3
"""Writes the seed corpora of the png, jpeg, idx, runjson and folder fuzz targets (Fuzz/run.sh).

Images come from the codec tests' fixtures (their hex literals) and Samples/mixed-folder; the
jpeg, idx and folder targets read option bytes first (see their Fuzz/*Fuzz.swift headers), so
each file is written once per set of options worth starting from. IDX files and run.json are
made here, small, in the layouts the adapter and `train --resume` expect.
The pluginfile seeds are the C sample plugins of Samples/Plugins, built with clang, whole and cut
short (a copy that did not finish: the case that made dlopen die of SIGBUS).
Usage: Fuzz/make_seeds.py   (writes into Fuzz/corpus/{png,jpeg,idx,runjson,folder,pluginfile})
"""
import gzip
import json
import pathlib
import re
import struct
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"


def fixtures(name):
    """`static let x = hexBytes(\"\"\" ... \"\"\")` literals of a test fixtures file, by name."""
    text = (ROOT / "Tests" / "ImageCodecTests" / name).read_text()
    found = re.findall(r'static let (\w+) = hexBytes\("""(.*?)"""\)', text, re.S)
    return {key: bytes.fromhex("".join(hexes.split())) for key, hexes in found}


def samples(*suffixes):
    folder = ROOT / "Samples" / "mixed-folder"
    return {p.stem: p.read_bytes() for p in sorted(folder.rglob("*")) if p.suffix in suffixes and p.stat().st_size}


def exif(orientation, big_endian):
    """APP1 Exif with one IFD0 entry, tag 0x0112 (as OrientationTests.exifSegment builds it)."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def write(target, files):
    """Writes (over) these seeds; other files, such as the inputs of past findings, stay."""
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)


def main():
    png = fixtures("PNGFixtures.swift") | samples(".png")
    jpeg = fixtures("JPEGFixtures.swift") | samples(".jpg")
    jpeg = {k: v for k, v in jpeg.items() if v.startswith(b"\xff\xd8\xff")}
    base = jpeg["jpegBaseline"]

    write("png", {f"{k}.png": v for k, v in png.items()})

    seeds = {f"{k}-full": b"\0\0\0" + v for k, v in jpeg.items()}
    # Upright minimums that pick 1/8, 1/4 and 1/2 of a 16x16 (and 20x12) file, a prefix cut
    # inside the markers, and the 64-pixel limit.
    for side in (2, 4, 8):
        seeds[f"jpegBaseline-min{side}"] = bytes([1, side, side]) + base
        seeds[f"jpeg20x12-min{side}"] = bytes([1, side, side]) + jpeg["jpeg20x12"]
    seeds["jpegProgressive-min4"] = bytes([1, 4, 4]) + jpeg["jpegProgressive"]
    seeds["jpegCMYK-min2"] = bytes([1, 2, 2]) + jpeg["jpegCMYK"]
    seeds["jpegBaseline-cut160"] = bytes([10 << 2, 0, 0]) + base
    seeds["jpegBaseline-limit"] = bytes([2, 0, 0]) + base
    for orientation in range(2, 9):
        big = orientation % 2 == 0
        turned = base[:2] + exif(orientation, big) + base[2:]
        seeds[f"exif{orientation}-{'mm' if big else 'ii'}"] = bytes([orientation % 2, 6, 10]) + turned
    write("jpeg", {f"{k}.bin": v for k, v in seeds.items()})

    images = idx([3, 4, 4], range(48))
    labels = idx([3], [0, 1, 2])
    split = struct.pack(">H", len(images))
    write("idx", {
        "raw.bin": b"\0\0\0" + images,
        "gzip-here.bin": b"\1\0\0" + images,
        "gzip-file.bin": b"\0\0\0" + gzip.compress(images, mtime=0),
        "rgb.bin": b"\0\0\0" + idx([2, 2, 2, 3], range(24)),
        "labels.bin": b"\2" + split + images + labels,
        "labels-gzip-here.bin": b"\3" + split + images + labels,
    })

    args = ["--data", "/data/mnist", "--out", "/runs/a", "--epochs", "3", "--latent", "8"]
    run = {
        "vaepipe_version": "0.1.0", "command": "train", "arguments": args, "data": "/data/mnist",
        "data_fingerprint": "fnv1a64:0123456789abcdef", "data_files": 4, "data_bytes": 54_000_000,
        "options": {"likelihood": "bernoulli", "binarize": "none", "epochs": 3, "batch": 128, "lr": 0.001,
                    "latent": 8, "hidden": 400, "arch": "mlp", "width": 32, "size": "32", "seed": 1,
                    "limit": None, "adapter": "idx"},
        "image_shape": [28, 28, 1], "train_examples": 60000, "test_examples": 10000, "skipped_files": 0,
        "threads": 2, "started": "2026-12-01T10:00:00Z", "resumed": ["2026-12-01T11:00:00Z"],
    }
    folder = dict(run, arguments=["--data=/data/faces", "--out=/runs/b", "--size", "64x48", "--channels", "3",
                                  "--resize", "fit", "--background", "black", "--cache", "none",
                                  "--cache-limit", "512MB", "--on-bad-file", "fail", "--arch", "conv",
                                  "--likelihood", "gaussian", "--lr", "3e-4", "--max-pixels", "1000000",
                                  "--workers", "2", "--limit", "100", "--seed", "7"])
    write("runjson", {
        "idx.json": json.dumps(run, indent=2, sort_keys=True).encode(),
        "folder.json": json.dumps(folder, indent=2, sort_keys=True).encode(),
        "minimal.json": b'{"arguments": ["--data", "d", "--out", "o"]}',
        # Once a leak (Foundation reading an empty file), fixed; kept as its reproducer.
        "leak-empty-run.json": b"",
    })

    seeds = {}
    for k, v in (png | jpeg).items():
        kind = 0 if v.startswith(b"\x89PNG") else 1
        seeds[f"{k}-named"] = bytes([kind, 31]) + v
    # Unnamed (sniffed), fit/stretch, each channel choice, streamed, a side of 1 and of 64.
    seeds["circle-rgba-sniffed-fit-rgba"] = bytes([2 | 1 << 2 | 3 << 4, 15]) + png["circle-rgba"]
    seeds["palette-stretch-gray-streamed"] = bytes([0 | 2 << 2 | 1 << 4 | 64, 0]) + png["square-palette"]
    seeds["baseline-fit-rgb-64"] = bytes([1 | 1 << 2 | 2 << 4, 63]) + base
    seeds["exif6-streamed"] = bytes([1 | 64, 7]) + base[:2] + exif(6, True) + base[2:]
    seeds["png-named-gif"] = bytes([3, 31]) + png["adam7RGB"]
    write("folder", {f"{k}.bin": v for k, v in seeds.items()})

    plugins = {}
    with tempfile.TemporaryDirectory() as tmp:
        for source in sorted((ROOT / "Samples" / "Plugins").glob("*/*.c")):
            out = pathlib.Path(tmp) / (source.stem + ".so")
            subprocess.run(["clang", "-O2", "-fPIC", "-shared", "-s", "-I", str(ROOT / "Sources" / "CVAEPipePlugin" / "include"),
                            str(source), "-o", str(out), "-lm"], check=True)
            plugins[source.stem] = out.read_bytes()
    for k, v in plugins.items():
        seeds_so = {f"{k}.so": v, f"{k}-cut-3000.so": v[:3000], f"{k}-cut-half.so": v[:len(v) // 2]}
        write("pluginfile", seeds_so)


if __name__ == "__main__":
    main()
