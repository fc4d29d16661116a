#!/usr/bin/env python3
"""The importance-weighted estimate of log p(x) (Burda et al. 2015) in PyTorch, on the weights of a
vaepipe checkpoint: an independent check of `vaepipe evaluate --iwae K`.

    python3 Benchmarks/torch_iwae.py --checkpoint RUN/model.safetensors \
        --data /usr/share/datasets/fashion-mnist --examples 1000 --k 5000 --write-idx /tmp/x.idx
    vaepipe evaluate --run RUN --data /tmp/x.idx --iwae 5000

The script picks `--examples` test images evenly spaced through the split (as vaepipe's
`--examples` does), binarises them once with its own generator for a bernoulli model trained with
`--binarize dynamic` (a 0/255 image is its own binarisation, so vaepipe then sees the very same
bits), writes them as an IDX file for vaepipe, and prints its estimate as JSON. The model is the
MLP of vaepipe's `--arch mlp`: D-H ReLU -> 2Z (means, log-variances); Z-H ReLU -> D logits.
Only the bernoulli head is implemented here. Safetensors is parsed by hand (8-byte header length,
JSON header, raw little-endian data) so that torch and numpy are the only dependencies.
"""
import argparse
import gzip
import json
import math
import struct
import sys
import time

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            continue
        a, b = info["data_offsets"]
        tensors[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(info["shape"])
    return tensors, meta


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def write_idx(path, images):
    n, h, w = images.shape
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", n, h, w) + images.astype(np.uint8).tobytes())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--examples", type=int, default=1000)
    p.add_argument("--k", type=int, default=5000)
    p.add_argument("--chunk", type=int, default=1000, help="samples decoded at once")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--write-idx", help="write the (binarised) examples here, for vaepipe evaluate --data")
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    t, meta = read_safetensors(args.checkpoint)
    config = json.loads(meta.get("config", "{}"))
    head = config.get("head", "bernoulli")
    if config.get("architecture", "mlp") != "mlp" or head != "bernoulli":
        sys.exit(f"{args.checkpoint}: only the mlp architecture with the bernoulli head is implemented here")
    binarize = config.get("headOptions", {}).get("binarize", "none")

    images = read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz")
    count = len(images)
    n = min(args.examples, count)
    picks = [i * count // n for i in range(n)] if n < count else list(range(count))
    x8 = images[picks].astype(np.float64) / 255
    if binarize == "dynamic":
        x8 = (np.random.default_rng(args.seed).random(x8.shape) < x8).astype(np.float64)
    elif binarize == "threshold":
        x8 = (x8 > 0.5).astype(np.float64)
    if args.write_idx:
        write_idx(args.write_idx, np.rint(x8 * 255))
    x = torch.tensor(x8.reshape(n, -1), dtype=torch.float32)

    w = {k: torch.tensor(np.array(v)) for k, v in t.items()}
    latent = w["decoder.0.weight"].shape[0]

    def encode(x):
        h = torch.relu(x @ w["encoder.0.weight"] + w["encoder.0.bias"])
        m = h @ w["encoder.2.weight"] + w["encoder.2.bias"]
        return m[:, :latent], m[:, latent:]

    def decode(z):
        h = torch.relu(z @ w["decoder.0.weight"] + w["decoder.0.bias"])
        return h @ w["decoder.2.weight"] + w["decoder.2.bias"]

    gen = torch.Generator().manual_seed(args.seed)
    start = time.time()
    total_ll, total_elbo = 0.0, 0.0
    with torch.no_grad():
        mu, logvar = encode(x)
        for i in range(n):
            log_w = []
            done = 0
            while done < args.k:
                b = min(args.chunk, args.k - done)
                eps = torch.randn(b, latent, generator=gen)
                z = mu[i] + torch.exp(0.5 * logvar[i]) * eps
                logits = decode(z)
                # log p(x | z) of a Bernoulli with logits l: x l - softplus(l), summed over pixels.
                log_px = (x[i] * logits - torch.nn.functional.softplus(logits)).sum(1)
                # log p(z) - log q(z | x): the 2 pi terms cancel.
                log_ratio = (-0.5 * z * z + 0.5 * eps * eps + 0.5 * logvar[i]).sum(1)
                log_w.append((log_px + log_ratio).double())
                done += b
            lw = torch.cat(log_w)
            total_ll += (torch.logsumexp(lw, 0) - math.log(args.k)).item()
            total_elbo += lw.mean().item()
    print(json.dumps({"examples": n, "iwae_samples": args.k, "log_likelihood": total_ll / n,
                      "elbo_sampled": total_elbo / n, "binarize": binarize, "torch": torch.__version__,
                      "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
