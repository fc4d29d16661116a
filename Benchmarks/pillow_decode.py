"""The Pillow side of Benchmarks/decode_bench.sh: a folder decoded to SIZE x SIZE RGB Float32 in
[0, 1] with Pillow's fastest path, and the images per second it sustains.

Per image: Image.open; for JPEG, draft("RGB", (SIZE, SIZE)), which makes libjpeg decode at the
smallest DCT scale still at least SIZE on each side (the same scale vaepipe picks); then one
resize(BILINEAR, reducing_gap=2.0) whose box is the centred square (resize-shorter-side +
center-crop in a single pass, vaepipe's --resize fill); the pixels are cast into a preallocated
float32 batch of 128, scaled by 1/255 once per batch. With --workers N, a multiprocessing pool
whose workers have imported everything before the clock starts; each worker takes a contiguous
shard and keeps its batches (nothing is pickled back), which flatters Pillow a little.

The time covers listing the folder (sorted, like vaepipe) and decoding every image: the same
span vaepipe's `inspect` reports as "with the header pass".

usage: /usr/bin/python3 pillow_decode.py FOLDER [--size 64] [--workers 1]
"""
import argparse
import os
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image

SIZE = 64
BATCH = 128


def list_images(root):
    found = []
    for directory, _, names in sorted(os.walk(root)):
        found += [os.path.join(directory, n) for n in sorted(names)
                  if n.lower().endswith((".jpg", ".jpeg", ".png")) and not n.startswith(".")]
    return found


def load(path, out):
    im = Image.open(path)
    if im.format == "JPEG":
        im.draft("RGB", (SIZE, SIZE))
    if im.mode != "RGB":
        im = im.convert("RGB")
    w, h = im.size
    side = min(w, h)
    box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
    im = im.resize((SIZE, SIZE), Image.BILINEAR, box=box, reducing_gap=2.0)
    out[...] = np.asarray(im)


def decode_shard(paths):
    batch = np.empty((BATCH, SIZE, SIZE, 3), dtype=np.float32)
    done = 0
    for start in range(0, len(paths), BATCH):
        chunk = paths[start:start + BATCH]
        for i, p in enumerate(chunk):
            load(p, batch[i])
        batch[:len(chunk)] *= 1 / 255
        done += len(chunk)
    return done


def warm(_):
    return 0


def main():
    global SIZE
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    SIZE = args.size
    if args.workers == 1:
        t0 = time.perf_counter()
        paths = list_images(args.folder)
        n = decode_shard(paths)
        seconds = time.perf_counter() - t0
    else:
        with Pool(args.workers) as pool:
            pool.map(warm, range(args.workers))
            t0 = time.perf_counter()
            paths = list_images(args.folder)
            k = args.workers
            shards = [paths[i * len(paths) // k:(i + 1) * len(paths) // k] for i in range(k)]
            n = sum(pool.map(decode_shard, shards, chunksize=1))
            seconds = time.perf_counter() - t0
    print(f"pillow: {n} images in {seconds:.3f}s on {args.workers} worker(s): {n / seconds:.0f} images/s")


if __name__ == "__main__":
    main()
