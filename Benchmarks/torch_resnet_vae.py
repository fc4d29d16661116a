#!/usr/bin/env python3
"""PyTorch 2 twin of vaepipe's residual VAE (`--arch resnet`) on an image folder, gaussian head.

The model is the one `vaepipe train --data FOLDER --size S --arch resnet --width w --blocks n
--latent Z --likelihood gaussian --sigma learned|optimal` builds (Sources/VAEPipeCore/Model/ResNet.swift),
in NCHW (vaepipe computes in NHWC: the same model up to a permutation of the weights):
  padding: the S x S image zero-padded to P, the power of two >= max(16, S), cropped back at the end;
           stages i = 0..L-1, L = log2(P/4), at P/2^(i+1) pixels a side with c_i = w * 2^i channels;
  block:   at c channels, m = c // 2 (VDVAE's bottleneck, pre-activation): y = x + f(x),
           f = SiLU, 1x1 c->m, SiLU, 3x3 m->m, SiLU, 3x3 m->m, SiLU, 1x1 m->c;
  encoder: [pad] per stage: [SiLU when i > 0] Conv 4x4/2 pad 1 -> c_i, n blocks;
           SiLU, flatten 4*4*c_{L-1}, Linear -> 2Z = (mu, log-variance);
  decoder: Linear Z -> 4*4*c_{L-1}; per stage from L-1 down: n blocks, SiLU,
           ConvTranspose 4x4/2 pad 1 -> c_{i-1} (C at i = 0); [crop]: logits, mean = sigmoid(logits);
  init:    PyTorch's defaults (as vaepipe's: Layers/WeightsAndBias.swift draws W and b from
           U(+-1/sqrt(fan_in)), fan_in k*k*Cout for ConvTranspose2D as PyTorch takes it), then
           the last 1x1 of every block has its weight scaled by 1/sqrt(B),
           B = the blocks in that network (n*L), and its bias zeroed (Layers/Residual.swift);
  loss:    the negative ELBO: gaussian NLL sum_i (x_i - m_i)^2 / (2 sigma^2) + log sigma + log(2 pi)/2
           (Plugins/Heads/GaussianHead.swift) + closed-form KL against N(0, I), batch mean.
           --sigma learned: one shared log sigma, a parameter, 0 at first; optimal: each training
           batch's sigma*^2 = mean (x - m)^2 over its rows and values, floored at 1e-3^2
           (GaussianHead.optimalLogSigma), no gradient through it; evaluation uses the last
           training batch's value; a number: a fixed sigma.
Training aids as vaepipe's (Sources/VAEPipeCore/Training/TrainingAids.swift): --lr-schedule
constant|cosine (over --epochs; under --time-budget without --epochs, from the end of epoch 1 to
the end of the epochs re-planned after every epoch, as vaepipe's TrainCommand does), --warmup STEPS, --ema D, --flip, --clip-grad NORM;
--time-budget SECONDS counts training-loop time only (vaepipe's counts its whole run).

Data as vaepipe's image-folder adapter reads it (../Plugins/Adapters/ImageFolderAdapter.swift, as in
torch_folder_vae.py): walked recursively in sorted order, hidden entries skipped, decoded once to
8-bit in memory, x/255 per batch; the images must already be S x S (no resampler to match). The
held-out split is vaepipe's (Plugins/Adapters/HeldOutSplit.swift): an image is held out when the
FNV-1a hash of its path below the folder, through SplitMix64's finaliser, falls under the fraction
(--test-fraction; default 0.1 from 300 images up, none below); without a split the figures are
over all the images, as `vaepipe evaluate` does.

Held-out figures mean what `vaepipe evaluate --iwae K [--examples N]` prints
(Sources/VAEPipeKit/GalleryCommands.swift, Evaluate): neg_elbo, reconstruction and kl with one
posterior sample per example (Evaluator.evaluate); psnr: each example decoded from its posterior
mean, 10 log10(1 / MSE) per example (at most 100), averaged (ReconstructionPSNR.swift);
log_likelihood: the IWAE-K estimate, log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)
(ImportanceSampling.swift); bits_per_dim = (D log 256 - log_likelihood) / (D ln 2); elbo_sampled
the mean log weight; active_units: latent dimensions whose posterior mean has a variance > 0.01
over the scored examples (ActiveUnits.swift). With --ema, the figures are the averaged weights'.

The flags, data loading, training loop and final JSON (add_arguments, load_data, train_model,
record) are shared with torch_hvae.py, which imports them.

Protocol of torch_folder_vae.py: Adam (0.9, 0.999, 1e-8), batch 128, lr 1e-3, --seed, --threads,
data shuffled every epoch, only the training loop timed, per-epoch times printed, median over the
complete epochs (sorted(times)[n // 2]). --compile: torch.compile the loss (PyTorch 2.x).

usage: python3 torch_resnet_vae.py --data FOLDER --size 64 [--epochs 3] [--blocks 1] [--compile]
       [--sigma optimal] [--lr-schedule cosine --warmup 500 --ema 0.999 --flip --clip-grad 200]
Last line printed: JSON with torch, compiled, model, epochs, steps, train_examples,
test_examples, median_epoch_s, examples_per_s, the held-out figures and peak_rss_kib.
"""
import argparse, json, math, os, resource, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

GRAY_MODES = {"1", "L", "I", "I;16", "I;16B", "I;16L", "F"}
SIGMA_FLOOR = 1e-3            # GaussianSigma.floor
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------- data, as torch_folder_vae.py

# The folder walk and image sniffing are torch_folder_vae.py's (beside this file).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_folder_vae import is_image, list_images  # noqa: E402


def unit_hash(relative_path):
    """HeldOutSplit.unitHash: FNV-1a 64 over the UTF-8 bytes, SplitMix64's finaliser, top 53 bits in [0, 1)."""
    h = 0xcbf29ce484222325
    for byte in relative_path.encode("utf-8", "surrogateescape"):
        h = ((h ^ byte) * 0x100000001b3) & MASK64
    h = ((h ^ (h >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
    h = ((h ^ (h >> 27)) * 0x94d049bb133111eb) & MASK64
    h ^= h >> 31
    return (h >> 11) / float(1 << 53)


def is_held_out(path, root, fraction):
    """HeldOutSplit.isHeldOut: the path below root (root + "/" stripped as a prefix, as written)."""
    prefix = root if root.endswith("/") else root + "/"
    relative = path[len(prefix):] if path.startswith(prefix) else path
    return unit_hash(relative) < fraction


def load_folder(root, size, channels, limit):
    """The images (the first `limit`) as one uint8 tensor [N, C, size, size], with their paths.
    C: --channels, else 3 when any image has colour (vaepipe's rule), else 1. Only conversions
    that are exact in any decoder are done (gray -> RGB, palette -> RGB); others are refused."""
    paths = list_images(root)
    if limit:
        paths = paths[:limit]
    if not paths:
        raise SystemExit(f"{root}: no PNG/JPEG images")
    images = []
    for p in paths:
        with Image.open(p) as im:
            if im.size != (size, size):
                raise SystemExit(f"{p} is {im.size[0]}x{im.size[1]}, not {size}x{size}: this script does not resize "
                                 f"(make the folder with Benchmarks/make_folder64.sh)")
            if "A" in im.mode or "transparency" in im.info:
                raise SystemExit(f"{p} has alpha ({im.mode}): vaepipe composites it over --background; not done here")
            im.load()
            images.append(im.copy())
    if channels is None:
        channels = 3 if any(im.mode not in GRAY_MODES for im in images) else 1
    pixels = np.empty((len(paths), size, size, channels), dtype=np.uint8)
    for i, im in enumerate(images):
        if channels == 1:
            if im.mode not in ("1", "L"):
                raise SystemExit(f"{paths[i]} is {im.mode}: --channels 1 needs 8-bit gray images (vaepipe's luma not matched)")
            pixels[i, :, :, 0] = np.asarray(im.convert("L"))
        else:
            pixels[i] = np.asarray(im.convert("RGB"))
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous(), paths  # NHWC -> NCHW


# ---------------------------------------------------------------- model

class Block(nn.Module):
    """VDVAE's bottleneck block, pre-activation: y = x + f(x)."""

    def __init__(self, c, scale):
        super().__init__()
        m = max(1, c // 2)
        self.f = nn.Sequential(nn.SiLU(), nn.Conv2d(c, m, 1), nn.SiLU(), nn.Conv2d(m, m, 3, 1, 1),
                               nn.SiLU(), nn.Conv2d(m, m, 3, 1, 1), nn.SiLU(), nn.Conv2d(m, c, 1))
        with torch.no_grad():
            self.f[-1].weight.mul_(scale)
            self.f[-1].bias.zero_()

    def forward(self, x):
        return x + self.f(x)


class ResNetVAE(nn.Module):
    def __init__(self, side, channels=3, width=32, blocks=1, latent=20, sigma="learned"):
        super().__init__()
        p = 16
        while p < max(16, side):
            p *= 2
        if (p - side) % 2:
            raise SystemExit(f"vaepipe pads {side} to {p} evenly on both sides; use an even size")
        self.side, self.padded, self.margin, self.latent, self.channels = side, p, (p - side) // 2, latent, channels
        stages, s, c = [], p // 2, width   # (side, channels) of each resolution below P, largest first
        while s >= 4:
            stages.append((s, c))
            s, c = s // 2, c * 2
        self.stages = stages
        scale = 1 / math.sqrt(max(1, blocks * len(stages)))   # ResNet.swift: n blocks x L stages per network
        enc, cin = [], channels
        for i, (_, c) in enumerate(stages):
            if i > 0:
                enc.append(nn.SiLU())
            enc.append(nn.Conv2d(cin, c, 4, 2, 1))
            enc += [Block(c, scale) for _ in range(blocks)]
            cin = c
        self.top = cin
        flat = 4 * 4 * cin
        self.enc = nn.Sequential(*enc, nn.SiLU(), nn.Flatten(), nn.Linear(flat, 2 * latent))
        self.dec_fc = nn.Linear(latent, flat)
        dec = []
        for i in reversed(range(len(stages))):
            c = stages[i][1]
            dec += [Block(c, scale) for _ in range(blocks)]
            dec += [nn.SiLU(), nn.ConvTranspose2d(c, stages[i - 1][1] if i > 0 else channels, 4, 2, 1)]
        self.dec = nn.Sequential(*dec)
        # The head's log sigma: a parameter when learned, else a buffer (optimal: the last
        # training batch's; fixed: log of the number).
        self.sigma = sigma
        if sigma == "learned":
            self.log_sigma = nn.Parameter(torch.zeros(1))
        else:
            self.register_buffer("log_sigma", torch.full((1,), 0.0 if sigma == "optimal" else math.log(float(sigma))))

    def encode(self, x):
        m = self.margin
        h = self.enc(F.pad(x, (m, m, m, m)) if m else x)
        return h[:, :self.latent], h[:, self.latent:]

    def decode(self, z):
        y = self.dec(self.dec_fc(z).view(len(z), self.top, 4, 4))
        m = self.margin
        return y[:, :, m:m + self.side, m:m + self.side] if m else y


def gaussian_nll(logits, x, log_sigma):
    """Per-example -log N(x; sigmoid(logits), sigma^2), summed over values (GaussianHead.scoreShared)."""
    sq = (x - torch.sigmoid(logits)).pow(2).flatten(1).sum(1)
    d = logits[0].numel()
    return 0.5 * sq * torch.exp(-2 * log_sigma) + d * (log_sigma + HALF_LOG_2PI)


def kl_divergence(mu, lv):
    return 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).sum(1)


def neg_elbo(model, x):
    """Per-example negative ELBO (nats), one posterior sample, and the log sigma it used
    (optimal: this batch's sigma*, GaussianHead.optimalLogSigma, detached)."""
    mu, lv = model.encode(x)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
    logits = model.decode(z)
    if model.sigma == "optimal":
        with torch.no_grad():
            variance = (x - torch.sigmoid(logits)).pow(2).mean().double().clamp_min(SIGMA_FLOOR * SIGMA_FLOOR)
            log_sigma = (0.5 * variance.log()).float().reshape(1)
    else:
        log_sigma = model.log_sigma
    return gaussian_nll(logits, x, log_sigma) + kl_divergence(mu, lv), log_sigma


# ---------------------------------------------------------------- training aids

def lr_factor(t, schedule, warmup, horizon):
    """TrainingAids.learningRateFactor for Adam step t (from 0): the cosine falls over the steps
    horizon = (start, end) (None: not planned yet, the rate holds); warm-up multiplies either."""
    warm = min(1.0, (t + 1) / warmup) if warmup > 0 else 1.0
    if schedule != "cosine" or horizon is None or horizon[1] <= horizon[0]:
        return warm
    start, count = horizon[0], horizon[1] - horizon[0]
    return warm * 0.5 * (1 + math.cos(math.pi * min(max(t - start, 0), count) / count))


def flip_batch(x, gen):
    """Each example flipped left-right with probability 1/2."""
    mask = torch.rand(len(x), generator=gen) < 0.5
    return torch.where(mask[:, None, None, None], x.flip(3), x)


# ---------------------------------------------------------------- evaluation (vaepipe evaluate --iwae K)

@torch.no_grad()
def evaluate(model, images, iwae, seed, batch=128, rows=256):
    """The held-out figures of `vaepipe evaluate --iwae K` over `images` (uint8 [N, C, S, S])."""
    model.eval()
    n, d, k = len(images), images[0].numel(), model.latent
    log_sigma = model.log_sigma.detach().reshape(1)
    gen = torch.Generator().manual_seed(seed * 7919 + 17)
    rec = kl = psnr = 0.0
    means = []
    for i in range(0, n, batch):
        x = images[i:i + batch].float().div_(255)
        mu, lv = model.encode(x)
        means.append(mu.double())
        # One posterior sample (Evaluator.evaluate).
        z = mu + torch.randn(mu.shape, generator=gen) * torch.exp(0.5 * lv)
        rec += gaussian_nll(model.decode(z), x, log_sigma).double().sum().item()
        kl += kl_divergence(mu, lv).double().sum().item()
        # Decoded from the posterior mean (Evaluator.reconstructionPSNR).
        sq = (x - torch.sigmoid(model.decode(mu))).double().pow(2).flatten(1).sum(1)
        psnr += torch.clamp(10 * torch.log10(d / sq.clamp_min(1e-300)), max=100).sum().item()
    means = torch.cat(means)
    active = int(((means.pow(2).mean(0) - means.mean(0).pow(2)) > 0.01).sum())   # ActiveUnits
    out = {"examples": n, "neg_elbo": (rec + kl) / n, "reconstruction": rec / n, "kl": kl / n, "psnr": psnr / n,
           "active_units": active, "log_sigma": float(log_sigma)}
    if iwae:
        # log w = log p(x|z) + log p(z) - log q(z|x); log p(z) - log q(z|x) = sum_j (eps^2 - z^2)/2 + lv/2
        # (ImportanceWeights.logRatio). K draws per example, decoded `rows` at a time.
        total_ll = total_elbo = 0.0
        group = max(1, rows // iwae)
        for i in range(0, n, group):
            x = images[i:i + group].float().div_(255)
            g = len(x)
            mu, lv = model.encode(x)
            eps = torch.randn((g, iwae, k), generator=gen)
            z = mu[:, None] + eps * torch.exp(0.5 * lv)[:, None]
            ratio = (0.5 * (eps.pow(2) - z.pow(2)).sum(2) + 0.5 * lv.sum(1, keepdim=True)).double()
            z = z.reshape(g * iwae, k)
            targets = x.repeat_interleave(iwae, 0) if iwae <= rows else None
            nll = torch.empty(g * iwae, dtype=torch.float64)
            for r in range(0, g * iwae, rows):
                zr = z[r:r + rows]
                t = targets[r:r + rows] if targets is not None else x.expand(len(zr), *x.shape[1:])
                nll[r:r + rows] = gaussian_nll(model.decode(zr), t, log_sigma).double()
            logw = ratio - nll.view(g, iwae)
            total_ll += (torch.logsumexp(logw, 1) - math.log(iwae)).sum().item()
            total_elbo += logw.mean(1).sum().item()
        deq = d * math.log(256)   # a density over [0, 1] on 8-bit data
        ll, elbo = total_ll / n, total_elbo / n
        out.update({"iwae_samples": iwae, "log_likelihood": ll, "bits_per_dim": (deq - ll) / (d * math.log(2)),
                    "elbo_sampled": elbo, "elbo_bits_per_dim": (deq - elbo) / (d * math.log(2)),
                    "dequantization_nats": deq})
    return out


def evenly_spaced(count, n):
    """ImageSet.evenlySpaced: indices i * count / n for i < n (all when n >= count)."""
    return list(range(count)) if not n or n >= count else [i * count // n for i in range(n)]


# ---------------------------------------------------------------- command line, data, training loop
# (shared with torch_hvae.py, which imports them)

def duration(text):
    """vaepipe's --time-budget (TimeBudget.swift): 90s, 10m, 1h30m or plain seconds."""
    units, total, number = {"s": 1, "m": 60, "h": 3600}, 0.0, ""
    try:
        for ch in text:
            if ch.isdigit() or ch == ".":
                number += ch
                continue
            total += float(number) * units[ch]
            number = ""
        if number:
            if total:
                raise ValueError
            total = float(number)
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (90s, 10m, 1h30m or seconds)")
    if not 0 < total <= 366 * 86400:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    return total


def add_arguments(ap, latent=20, latent_help=None, sigma="learned", lr_schedule="constant", warmup=0, ema=0.0,
                  flip=False, batch=128, lr=1e-3):
    """The flags every twin takes; the model's defaults (latent, sigma, training aids) as given."""
    ap.add_argument("--data", default="/tmp/vaepipe-folder64")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--channels", type=int, choices=(1, 3), help="default: 3 when any image has colour, else 1")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--blocks", type=int, default=1)
    ap.add_argument("--latent", type=int, default=latent, help=latent_help)
    ap.add_argument("--sigma", default=sigma, help="learned | optimal | a fixed sigma")
    ap.add_argument("--epochs", type=int, default=None,
                    help="default 3; with --time-budget and no --epochs, planned after the first epoch as vaepipe does")
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--lr-schedule", choices=("constant", "cosine"), default=lr_schedule)
    ap.add_argument("--warmup", type=int, default=warmup, help="steps of linear learning-rate warm-up")
    ap.add_argument("--ema", type=float, default=ema, help="decay of the weights' moving average (0: off)")
    ap.add_argument("--flip", action=argparse.BooleanOptionalAction, default=flip,
                    help="flip each training example left-right with probability 1/2")
    ap.add_argument("--clip-grad", type=float, default=0.0, help="largest gradient norm (0: no clipping)")
    ap.add_argument("--time-budget", type=duration, default=0.0,
                    help="seconds of training loop, then evaluate (0: none); stops after the step that crosses it")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--test-fraction", type=float, default=None,
                    help="held-out share (default 0.1 from 300 images up, none below)")
    ap.add_argument("--iwae", type=int, default=100, help="IWAE samples per held-out example (0: skip)")
    ap.add_argument("--eval-examples", type=int, default=0, help="score this many evenly spaced held-out examples")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="torch.compile the loss (needs a C++ compiler)")


def check_arguments(a):
    """Refuses what cannot run; seeds torch and sets its threads."""
    if a.sigma not in ("learned", "optimal"):
        try:
            if not float(a.sigma) >= SIGMA_FLOOR:
                raise ValueError
        except ValueError:
            raise SystemExit(f"--sigma must be learned, optimal or a fixed sigma of at least {SIGMA_FLOOR}")
    if a.compile and not hasattr(torch, "compile"):
        raise SystemExit(f"--compile needs PyTorch 2.x (this is {torch.__version__})")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)


def load_data(a):
    """The folder's images split as vaepipe splits them: (train, test, split, channels); without a
    held-out split both are all the images and split is "all"."""
    t0 = time.perf_counter()
    images, paths = load_folder(a.data, a.size, a.channels, a.limit)
    fraction = a.test_fraction if a.test_fraction is not None else (0.1 if len(paths) >= 300 else 0.0)
    held = [is_held_out(p, a.data, fraction) for p in paths] if fraction > 0 else [False] * len(paths)
    if 0 < sum(held) < len(paths):
        mask = torch.tensor(held)
        train, test, split = images[~mask].contiguous(), images[mask].contiguous(), "test"
    else:
        train, test, split = images, images, "all"
    print(f"loaded {len(images)} images {tuple(images.shape[1:])} from {a.data} in {time.perf_counter() - t0:.1f}s; "
          f"{len(train)} train, {len(test) if split == 'test' else 0} held out (fraction {fraction})", flush=True)
    return train, test, split, images.shape[1]


def train_model(model, params, step_loss, train, a, averaged=None, rate=False, note=None):
    """Adam over `params` on `train` (uint8 [N, C, S, S]) with vaepipe's training aids, as `a` sets
    them. step_loss(x, epoch, i) -> (loss to minimise, batch-mean negative ELBO to report, log
    sigma used): epoch from 1, i the step within it. `averaged`: the tensors the --ema average
    covers (default `params`); when it is on they hold the average on return. `rate`: examples/s
    on each epoch's line; note(): more text for it. Returns the run's figures (a namespace)."""
    averaged = params if averaged is None else averaged
    opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    ema = [p.detach().clone() for p in averaged] if a.ema > 0 else None
    flip_gen = torch.Generator().manual_seed(a.seed * 31 + 7)
    steps_per_epoch = (len(train) + a.batch - 1) // a.batch
    # vaepipe's plan (TrainCommand, Trainer.planSchedule): a time budget without --epochs trains
    # epoch 1 at the warm-up's rate; after every epoch e it plans e + (budget left) / (mean epoch
    # time so far) epochs, the cosine falling from the end of epoch 1 to the end of the last planned.
    plan = a.epochs is None and a.time_budget > 0
    epochs = a.epochs if a.epochs is not None else (1 << 40 if plan else 3)
    horizon = None if plan else (0, epochs * steps_per_epoch)
    times, step, loop_s, stopped, train_loss, clipped, drawn = [], 0, 0.0, False, float("nan"), 0, 0
    epoch = 0
    while epoch < epochs:
        epoch += 1
        model.train()
        perm = torch.randperm(len(train))
        t0, total, seen = time.perf_counter(), 0.0, 0
        for i in range(0, len(train), a.batch):
            x = train[perm[i:i + a.batch]].float().div_(255)
            if a.flip:
                x = flip_batch(x, flip_gen)
            lr = a.lr * lr_factor(step, a.lr_schedule, a.warmup, horizon)
            for g in opt.param_groups:
                g["lr"] = lr
            loss, reported, log_sigma = step_loss(x, epoch, i // a.batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if a.clip_grad > 0:
                if float(torch.nn.utils.clip_grad_norm_(params, a.clip_grad)) > a.clip_grad:
                    clipped += 1
            opt.step()
            step += 1
            if a.sigma == "optimal":
                model.log_sigma.copy_(log_sigma.detach())
            if ema is not None:
                d = min(a.ema, (1 + step) / (10 + step))   # TrainingAids.averageDecay(afterSteps: n)
                torch._foreach_mul_(ema, d)
                torch._foreach_add_(ema, [p.detach() for p in averaged], alpha=1 - d)
            total += reported.item() * len(x)
            seen += len(x)
            drawn += len(x)
            # As Trainer.continueEpoch: an epoch's last step completes it, the budget notwithstanding.
            if a.time_budget and i + a.batch < len(train) and loop_s + time.perf_counter() - t0 >= a.time_budget:
                stopped = True
                break
        dt = time.perf_counter() - t0
        loop_s += dt
        train_loss = total / seen
        extra = note() if note else ""
        if seen == len(train):
            times.append(dt)
            speed = f" examples_per_s {seen / dt:.1f}" if rate else ""
            print(f"epoch {epoch} train_s {dt:.2f}{speed} train_neg_elbo {train_loss:.2f} lr {lr:.3g} "
                  f"log_sigma {float(model.log_sigma.detach()):.4f}{extra}", flush=True)
        else:
            print(f"epoch {epoch} (stopped by --time-budget after {seen} of {len(train)} examples) train_s {dt:.2f} "
                  f"train_neg_elbo {train_loss:.2f}{extra}", flush=True)
        if stopped:
            break
        if plan:
            planned = epoch + max(0, int((a.time_budget - loop_s) / (loop_s / epoch)))
            start = step if horizon is None else horizon[0]
            horizon = (start, max(start, planned * steps_per_epoch))
            if planned != epochs:
                print(f"time budget {a.time_budget:g}s: {loop_s / epoch:.1f}s an epoch, planning {planned} epochs", flush=True)
            epochs = planned
        if a.time_budget and epoch < epochs and loop_s >= a.time_budget:   # between epochs too, as vaepipe
            break
    # Held-out figures are the averaged weights' when --ema.
    if ema is not None:
        with torch.no_grad():
            for p, e in zip(averaged, ema):
                p.copy_(e)
    return argparse.Namespace(step=step, steps_per_epoch=steps_per_epoch, epochs=epochs, plan=plan, horizon=horizon,
                              times=times, median=sorted(times)[len(times) // 2] if times else None, loop_s=loop_s,
                              train_loss=train_loss, clipped=clipped, drawn=drawn)


def record(a, run, model_name, train, test, split, figures, eval_s, **extra):
    """The last line's JSON object: the run, then `extra`, then the held-out figures."""
    aids = {"lr_schedule": a.lr_schedule, "warmup": a.warmup, "ema": a.ema, "flip": a.flip, "clip_grad": a.clip_grad}
    if a.clip_grad > 0:
        aids["clipped_steps"] = run.clipped
    med = run.median
    return {"torch": torch.__version__, "compiled": a.compile, "model": model_name,
            "likelihood": "gaussian", "sigma": a.sigma, **aids,
            "epochs": round(run.step / run.steps_per_epoch, 3),
            "planned_epochs": run.epochs if run.plan and run.horizon is not None else None, "steps": run.step,
            "time_budget": a.time_budget or None,
            "train_examples": len(train), "test_examples": len(test) if split == "test" else 0,
            "split": split, "threads": a.threads, "seed": a.seed,
            "median_epoch_s": round(med, 3) if med else None,
            "examples_per_s": round(len(train) / med if med else run.drawn / run.loop_s, 1),
            "train_s": round(run.loop_s, 3), "final_train_neg_elbo": round(run.train_loss, 3), **extra,
            **{("eval_examples" if k == "examples" else k): v for k, v in figures.items()},
            "eval_s": round(eval_s, 1),
            "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    a = ap.parse_args()
    check_arguments(a)
    train, test, split, channels = load_data(a)

    model = ResNetVAE(a.size, channels, a.width, a.blocks, a.latent, a.sigma)
    params = list(model.parameters())
    print(f"model: padded {model.padded}, stages {model.stages}, {sum(p.numel() for p in params)} parameters", flush=True)
    loss_fn = torch.compile(neg_elbo) if a.compile else neg_elbo

    def step_loss(x, epoch, i):
        per_example, log_sigma = loss_fn(model, x)
        loss = per_example.mean()
        return loss, loss, log_sigma

    run = train_model(model, params, step_loss, train, a)

    eval_set = test[evenly_spaced(len(test), a.eval_examples)]
    t0 = time.perf_counter()
    figures = evaluate(model, eval_set, a.iwae, a.seed)
    eval_s = time.perf_counter() - t0
    print(f"evaluated {figures['examples']} {split} examples in {eval_s:.1f}s", flush=True)
    print(json.dumps(record(a, run, f"resnet{a.size}x{a.size}x{channels}-w{a.width}-b{a.blocks}-z{a.latent}",
                            train, test, split, figures, eval_s)))


if __name__ == "__main__":
    main()
