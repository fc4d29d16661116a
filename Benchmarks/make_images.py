"""Writes a folder of photo-like test images for the decode benchmark and the streaming runs.

Each image is a smooth random colour field (a 6x6 grid of random colours, bicubic-upscaled),
with a Fashion-MNIST item drawn in when the data set is installed, plus mild noise so JPEG and
PNG have texture to code, as photos do. Sizes vary around --size (+-20%, either aspect), or are
exactly --size x --size with --square, and the images go into --classes sub-folders, so the folder
looks like an ImageFolder data set.

usage: /usr/bin/python3 make_images.py OUT_DIR --count 2000 --format jpeg|png [--size 200] [--square]
       [--quality 90] [--classes 10] [--seed 1] [--processes 2]
"""
import argparse
import gzip
import os
import random
from multiprocessing import Pool

import numpy as np
from PIL import Image

FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def fashion_items():
    if not os.path.exists(FASHION):
        return None
    with gzip.open(FASHION) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return data.reshape(-1, 28, 28)


ITEMS = None  # the Fashion-MNIST items, set once per worker (not pickled with every task)


def set_items(items):
    global ITEMS
    ITEMS = items


def make(args):
    index, opts = args
    items = ITEMS
    rng = random.Random(opts.seed * 1_000_003 + index)
    nrng = np.random.default_rng(opts.seed * 1_000_003 + index)
    side = opts.size
    w = side if opts.square else int(side * rng.uniform(0.8, 1.2))
    h = side if opts.square else int(side * rng.uniform(0.8, 1.2))
    grid = Image.fromarray(nrng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8), "RGB")
    img = np.asarray(grid.resize((w, h), Image.BICUBIC), dtype=np.float32)
    if items is not None:
        item = Image.fromarray(items[index % len(items)]).resize((min(w, h) * 3 // 4,) * 2, Image.BICUBIC)
        mask = np.zeros((h, w), dtype=np.float32)
        x0, y0 = (w - item.width) // 2, (h - item.height) // 2
        mask[y0:y0 + item.height, x0:x0 + item.width] = np.asarray(item, dtype=np.float32) / 255
        tint = nrng.integers(0, 256, size=3).astype(np.float32)
        img = img * (1 - mask[..., None]) + tint * mask[..., None]
    img += nrng.normal(0, 4, size=img.shape)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    folder = os.path.join(opts.out, f"class{index % opts.classes:02d}") if opts.classes > 1 else opts.out
    name = os.path.join(folder, f"{index:06d}.{'jpg' if opts.format == 'jpeg' else 'png'}")
    if opts.format == "jpeg":
        out.save(name, "JPEG", quality=opts.quality)
    else:
        out.save(name, "PNG")
    return os.path.getsize(name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--format", choices=["jpeg", "png"], default="jpeg")
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--square", action="store_true", help="every image exactly SIZE x SIZE (no resize needed)")
    p.add_argument("--quality", type=int, default=90)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--processes", type=int, default=os.cpu_count())
    opts = p.parse_args()
    for c in range(opts.classes if opts.classes > 1 else 0):
        os.makedirs(os.path.join(opts.out, f"class{c:02d}"), exist_ok=True)
    os.makedirs(opts.out, exist_ok=True)
    items = fashion_items()
    with Pool(opts.processes, initializer=set_items, initargs=(items,)) as pool:
        sizes = pool.map(make, [(i, opts) for i in range(opts.count)], chunksize=64)
    print(f"wrote {opts.count} {opts.format} images to {opts.out}: {sum(sizes) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
