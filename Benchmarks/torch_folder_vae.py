#!/usr/bin/env python3
"""PyTorch reference for vaepipe's conv VAE on an image folder (64x64 RGB by default).

The model is the one `vaepipe train --data FOLDER --size 64 --channels 3 --arch conv` builds
(Sources/VAEPipeCore/Model/Architecture.swift, `conv`), with vaepipe's defaults --latent 20,
--hidden 256, --width 32:
  encoder: image zero-padded to a power-of-two side (at least 16; 64 stays 64), 4x4 stride-2 pad-1
           convolutions from --width channels, doubling, down to 4x4, ReLU after each
           (3->32->64->128->256 for 64x64), flatten 4*4*256 -> Linear(hidden) ReLU -> Linear(2*latent)
           = (mu, log-variance);
  decoder: Linear(latent, hidden) ReLU -> Linear(hidden, 4*4*256) ReLU, then 4x4 stride-2 pad-1
           transposed convolutions mirroring the encoder (256->128->64->32->3), ReLU between them
           but not after the last; cropped back to the image side;
  loss:    Bernoulli head on the logits (binary cross-entropy with logits against the [0,1] pixels,
           summed over pixels) + closed-form KL against N(0, I); batch mean. PyTorch's default
           initialisation, which vaepipe copies.
(vaepipe computes in NHWC, this script in NCHW: the same model up to a permutation of the weights.)

Data as vaepipe's image-folder adapter reads it (Plugins/Adapters/ImageFolderAdapter.swift): the
folder walked recursively in sorted order (torchvision ImageFolder's), hidden entries skipped,
PNG/JPEG by extension or magic bytes; decoded once to 8-bit RGB in memory (vaepipe's
`--cache memory`), each batch scaled to [0,1] Float32 by x/255. The images must already be
--size x --size (make_folder64.sh writes them so): vaepipe's resize is then the identity and no
resampler has to be matched. --limit keeps the first N images of that order, as vaepipe's does.

vaepipe makes no test split for a folder, so there is no test figure: the script reports
`final_train_neg_elbo`, the mean per-example negative ELBO over the last epoch's training steps,
which is what vaepipe's metrics.jsonl has as the last epoch's "train_loss".

Protocol of ../../shared/bench/torch_vae.py: Adam, batch 128, lr 1e-3, seed, --threads, data
shuffled every epoch, only the training loop timed, median over epochs (sorted(times)[n // 2]).
Runs on PyTorch 1.13 (Debian) and 2.x (--compile: torch.compile the loss, 2.x only). Needs Pillow.

usage: python3 torch_folder_vae.py --data /tmp/vaepipe-folder64 [--epochs 3] [--limit N] [--compile]
Last line printed: JSON with torch, compiled, model, epochs, train_examples, median_epoch_s,
examples_per_s, final_train_neg_elbo.
"""
import argparse, json, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "jpe", "jfif"}


def is_image(path):
    if os.path.splitext(path)[1][1:].lower() in IMAGE_EXTENSIONS:
        return True
    with open(path, "rb") as f:
        head = f.read(8)
    return head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")


def list_images(root):
    """vaepipe's FolderWalk: sorted(os.walk(root, followlinks=True)), files by name, no hidden entries."""
    out = []
    for d, dirs, files in sorted(os.walk(root, followlinks=True)):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        out += [p for p in (os.path.join(d, f) for f in sorted(files) if not f.startswith(".")) if is_image(p)]
    return out


def load_folder(root, size, limit):
    """All images (the first `limit`) as one uint8 tensor [N, 3, size, size]."""
    paths = list_images(root)
    if limit:
        paths = paths[:limit]
    if not paths:
        raise SystemExit(f"{root}: no PNG/JPEG images")
    pixels = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    for i, p in enumerate(paths):
        with Image.open(p) as im:
            if im.size != (size, size):
                raise SystemExit(f"{p} is {im.size[0]}x{im.size[1]}, not {size}x{size}: this script does not resize "
                                 f"(make the folder with Benchmarks/make_folder64.sh)")
            pixels[i] = np.asarray(im.convert("RGB"))
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW


class ConvVAE(nn.Module):
    def __init__(self, side, channels=3, width=32, hidden=256, latent=20):
        super().__init__()
        p = 16
        while p < side:
            p *= 2
        self.side, self.margin, self.latent = side, (p - side) // 2, latent
        enc, stages, s, cin, cout = [], [], p, channels, width
        while s > 4:
            enc += [nn.Conv2d(cin, cout, 4, 2, 1), nn.ReLU()]
            stages.append((cin, cout))
            s, cin, cout = s // 2, cout, cout * 2
        self.top = cin
        flat = 4 * 4 * cin
        self.enc = nn.Sequential(*enc, nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec_fc = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, flat), nn.ReLU())
        dec = []
        for i, (cin, cout) in enumerate(reversed(stages)):
            dec.append(nn.ConvTranspose2d(cout, cin, 4, 2, 1))
            if i < len(stages) - 1:
                dec.append(nn.ReLU())
        self.dec = nn.Sequential(*dec)

    def encode(self, x):
        m = self.margin
        h = self.enc(F.pad(x, (m, m, m, m)) if m else x)
        return h[:, :self.latent], h[:, self.latent:]

    def decode(self, z):
        y = self.dec(self.dec_fc(z).view(len(z), self.top, 4, 4))
        m = self.margin
        return y[:, :, m:m + self.side, m:m + self.side] if m else y


def neg_elbo(model, x):
    """Per-example negative ELBO (nats), summed over pixels; a vector of size batch."""
    mu, lv = model.encode(x)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
    logits = model.decode(z)
    nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).sum(1)
    return nll + kl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/vaepipe-folder64")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--latent", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="torch.compile the loss (PyTorch 2.x; needs a C++ compiler)")
    a = ap.parse_args()
    if a.compile and not hasattr(torch, "compile"):
        raise SystemExit(f"--compile needs PyTorch 2.x (this is {torch.__version__})")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    train = load_folder(a.data, a.size, a.limit)
    print(f"loaded {len(train)} images {tuple(train.shape[1:])} from {a.data} in {time.perf_counter() - t0:.1f}s",
          flush=True)
    model = ConvVAE(a.size, train.shape[1], a.width, a.hidden, a.latent)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = torch.compile(neg_elbo) if a.compile else neg_elbo
    times = []
    for epoch in range(1, a.epochs + 1):
        model.train()
        perm = torch.randperm(len(train))
        t0, total = time.perf_counter(), 0.0
        for i in range(0, len(train), a.batch):
            x = train[perm[i:i + a.batch]].float().div_(255)
            loss = loss_fn(model, x).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        dt = time.perf_counter() - t0
        times.append(dt)
        train_loss = total / len(train)
        print(f"epoch {epoch} train_s {dt:.2f} train_neg_elbo {train_loss:.2f}", flush=True)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"torch": torch.__version__, "compiled": a.compile,
                      "model": f"conv{a.size}x{a.size}x{train.shape[1]}-w{a.width}-h{a.hidden}-z{a.latent}",
                      "likelihood": "bernoulli", "epochs": a.epochs, "train_examples": len(train),
                      "median_epoch_s": round(med, 3), "examples_per_s": round(len(train) / med, 1),
                      "final_train_neg_elbo": round(train_loss, 3)}))


if __name__ == "__main__":
    main()
