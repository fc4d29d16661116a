#!/usr/bin/env python3
"""PyTorch 2 twin of vaepipe's hierarchical VAE (`--arch hvae`) on an image folder, gaussian head.

The model is the one `vaepipe train --data FOLDER --size S --arch hvae --width w --blocks n
--latent zc --likelihood gaussian` builds (Sources/VAEPipeCore/Model/Hierarchy/), in NCHW (vaepipe
computes in NHWC: the same model up to a permutation of the weights and of the learned constant):
  sides:   the S x S image zero-padded to P, the power of two >= max(16, S), cropped back at the end;
           sides P/2, P/4, ..., 4 (L of them); w channels everywhere.
  block:   ResNet.block at w channels, m = w // 2 (VDVAE's bottleneck, pre-activation): y = x + f(x),
           f = SiLU, 1x1 w->m, SiLU, 3x3 m->m, SiLU, 3x3 m->m, SiLU, 1x1 m->w.
  encoder: [pad] Conv 4x4/2 pad 1 C->w, n blocks          at P/2    -> a_P/2
           Conv 4x4/2 pad 1 w->w (no activation first), n blocks  at each s < P/2 down to 4 -> a_s
  decoder: h = a learned constant [w, 4, 4], zero at first, the same for every row;
           for s = 4, 8, ..., P/2: at s <= 16, max(1, n) top-down blocks (one latent group each),
           else n plain blocks; nearest-neighbour upsampling x2 when s < P/2;
           SiLU, ConvTranspose 4x4/2 pad 1 w->C [crop]: logits, mean = sigmoid(logits).
  top-down block (TopDownBlock.swift, VDVAE's DecBlock) at side s, G = the number of groups:
           branch(i, o) = SiLU, 1x1 i->m, SiLU, 3x3, SiLU, 3x3, SiLU, 1x1 m->o (no residual);
           (pm, pv, hf) = prior branch(w, 2zc + w)(h);  (qm, qv) = posterior branch(2w, 2zc)(concat(h, a_s));
           z = qm + exp(qv / 2) eps;  h = block(h + hf + zIn(z)), zIn a 1x1 conv zc->w;
           KL = sum over the group's s*s*zc values of (pv - qv)/2 + (e^qv + (qm - pm)^2) / (2 e^pv) - 1/2.
  init:    Conv2D, ConvTranspose2D and Linear draw W and b from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
           (Layers/WeightsAndBias.swift; fan_in = k*k*Cin for a convolution, k*k*Cout for a
           transposed one, as PyTorch takes it from the weight's second axis): PyTorch's default
           initialisation, so the twin keeps it (this holds for torch_resnet_vae.py's layers too).
           Then (Layers/Residual.swift, scaleAtInitialisation: weight scaled, bias zeroed):
           every block's last 1x1 scaled by 1/sqrt(n L) for the encoder's and the plain decoder
           blocks, by 1/sqrt(G) for the top-down blocks' own; zIn scaled by 1/sqrt(G); the prior's
           last 1x1 scaled by 0 (weight and bias zero: p = N(0, I) and hf = 0 at first).
  loss:    the negative ELBO, batch mean: gaussian NLL sum_i (x_i - m_i)^2 / (2 sigma^2) + log sigma
           + log(2 pi)/2 (Plugins/Heads/GaussianHead.swift) + every group's KL (VAE.swift,
           hierarchicalForward). --beta B, --kl-warmup E, --free-bits F weigh the KL as vaepipe's
           Trainer.weighKL does: each group's batch-mean KL gets weight B (times min(1, step/(E
           steps per epoch)) during warm-up), 0 while that mean is under F nats (free bits per group).
           --sigma learned: one shared log sigma, a parameter, 0 at first; optimal: each training
           batch's sigma*^2 = mean (x - m)^2 over its rows and values, floored at 1e-3^2, no
           gradient through it; the stored log sigma is that of the last training batch -- and,
           with --ema, averaged with the weights, as vaepipe's WeightAverage covers the head's
           stored log sigma too; a number: a fixed sigma.
Defaults: those of `vaepipe train --arch hvae` (Sources/VAEPipeKit/TrainDefaults.swift): latent 8
channels per group, width 32, 1 block, batch 16, lr 2e-3, and for images of 32x32 and up
--sigma optimal --lr-schedule cosine --warmup 100 --ema 0.999 --flip (below: learned, constant,
none, none, no flips).

Data, held-out split, training aids (--lr-schedule, --warmup, --ema, --flip, --clip-grad,
--time-budget), Adam and the timing protocol are torch_resnet_vae.py's (imported from it):
only the training loop is timed; each epoch's line gives its seconds and examples/s.

Held-out figures mean what `vaepipe evaluate --iwae K [--examples N]` prints: neg_elbo,
reconstruction and kl with one posterior draw of every group per example (Evaluator.evaluate);
kl_groups: each group's mean KL in decoder order (the test_kl_groups of vaepipe's metrics.jsonl);
psnr: each example decoded with every group at its posterior mean (eps = 0, VAE.reconstructMean),
10 log10(1 / MSE), at most 100, averaged; log_likelihood: the IWAE-K estimate with
log w = log p(x | z) + sum_g [log p(z_g | z<g) - log q(z_g | x, z<g)] over every group
(VAE.hierarchicalLogWeights, TopDownBlock.addLogRatio); bits_per_dim = (D log 256 -
log_likelihood) / (D ln 2); active_units over the top (4x4) group's posterior means.

usage: python3 torch_hvae.py --data FOLDER --size 64 [--epochs 3] [--width 32 --blocks 1 --latent 8]
       [--sigma optimal] [--iwae 100 --eval-examples 400] [--threads 2] [--compile]
Last line printed: JSON as torch_resnet_vae.py's, with parameters, group_sides and kl_groups.
"""
import argparse, json, math, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_resnet_vae import (Block, SIGMA_FLOOR, add_arguments, check_arguments, evenly_spaced,  # noqa: E402
                              gaussian_nll, load_data, record, train_model)

LARGEST_LATENT_SIDE = 16   # Hierarchy.largestLatentSide


# ---------------------------------------------------------------- model

def branch(i, o, m):
    """VDVAE's Block without its residual: SiLU, 1x1 i->m, SiLU, 3x3, SiLU, 3x3, SiLU, 1x1 m->o."""
    return nn.Sequential(nn.SiLU(), nn.Conv2d(i, m, 1), nn.SiLU(), nn.Conv2d(m, m, 3, 1, 1),
                         nn.SiLU(), nn.Conv2d(m, m, 3, 1, 1), nn.SiLU(), nn.Conv2d(m, o, 1))


class TopDown(nn.Module):
    """One latent group at side x side (TopDownBlock.swift)."""

    def __init__(self, side, width, latent, groups):
        super().__init__()
        self.side, self.width, self.latent = side, width, latent
        m, scale = max(1, width // 2), 1 / math.sqrt(max(1, groups))
        self.q = branch(2 * width, 2 * latent, m)
        self.p = branch(width, 2 * latent + width, m)
        self.z = nn.Conv2d(latent, width, 1)
        self.res = Block(width, scale)
        with torch.no_grad():
            self.p[-1].weight.zero_()
            self.p[-1].bias.zero_()
            self.z.weight.mul_(scale)
            self.z.bias.zero_()

    def forward(self, h, a, noise, ratio=False):
        """noise: "global" (torch's generator), a torch.Generator, or None (eps = 0: the posterior
        mean). Returns the new state, each row's KL, each row's log p(z | z<) - log q(z | x, z<)
        (with `ratio`, else None) and the posterior means."""
        zc = self.latent
        pm, pv, hf = self.p(h).split([zc, zc, self.width], 1)
        qm, qv = self.q(torch.cat([h, a], 1)).split([zc, zc], 1)
        if noise is None:
            eps, z = torch.zeros_like(qm), qm
        else:
            eps = torch.randn_like(qm) if isinstance(noise, str) else torch.randn(qm.shape, generator=noise)
            z = qm + torch.exp(0.5 * qv) * eps
        sum_type = None if self.training else torch.float64   # evaluation sums in Double, as vaepipe
        kl = (0.5 * (pv - qv) + 0.5 * (torch.exp(qv) + (qm - pm).pow(2)) * torch.exp(-pv) - 0.5).flatten(1).sum(1, dtype=sum_type)
        r = None
        if ratio:
            r = (0.5 * (qv + eps.pow(2)) - 0.5 * (pv + (z - pm).pow(2) * torch.exp(-pv))).flatten(1).sum(1, dtype=torch.float64)
        return self.res(h + hf + self.z(z)), kl, r, qm


class HVAE(nn.Module):
    def __init__(self, side, channels=3, width=32, blocks=1, latent=8, sigma="optimal"):
        super().__init__()
        p = 16
        while p < max(16, side):
            p *= 2
        if (p - side) % 2:
            raise SystemExit(f"vaepipe pads {side} to {p} evenly on both sides; use an even size")
        if not 0 <= blocks <= 8:
            raise SystemExit("the hvae architecture takes 0 to 8 blocks per resolution")
        self.side, self.padded, self.margin, self.channels = side, p, (p - side) // 2, channels
        self.width, self.blocks, self.latent = width, blocks, latent
        sides, s = [], p // 2
        while s >= 4:
            sides.append(s)
            s //= 2
        self.sides = sides
        scale = 1 / math.sqrt(max(1, blocks * len(sides)))
        enc = []
        for i, s in enumerate(sides):
            first = nn.Conv2d(channels if i == 0 else width, width, 4, 2, 1)
            enc.append(nn.Sequential(first, *[Block(width, scale) for _ in range(blocks)]))
        self.enc = nn.ModuleList(enc)
        self.start = nn.Parameter(torch.zeros(1, width, 4, 4))   # LearnedConstant: zero at first
        self.group_sides = []
        s = 4
        while s <= min(p // 2, LARGEST_LATENT_SIDE):
            self.group_sides += [s] * max(1, blocks)
            s *= 2
        steps, kinds = [], []
        for s in reversed(sides):
            if s in self.group_sides:
                for _ in range(self.group_sides.count(s)):
                    steps.append(TopDown(s, width, latent, len(self.group_sides)))
                    kinds.append("group")
            elif blocks > 0:
                steps.append(nn.Sequential(*[Block(width, scale) for _ in range(blocks)]))
                kinds.append("plain")
            if s < p // 2:
                steps.append(nn.Upsample(scale_factor=2, mode="nearest"))
                kinds.append("plain")
        self.steps, self.kinds = nn.ModuleList(steps), kinds
        self.out = nn.Sequential(nn.SiLU(), nn.ConvTranspose2d(width, channels, 4, 2, 1))
        self.sigma = sigma
        if sigma == "learned":
            self.log_sigma = nn.Parameter(torch.zeros(1))
        else:
            self.register_buffer("log_sigma", torch.full((1,), 0.0 if sigma == "optimal" else math.log(float(sigma))))

    def vaepipe_parameter_count(self):
        """As vaepipe's `model:` line counts: the head's stored log sigma included (learned and optimal)."""
        return sum(p.numel() for p in self.parameters()) + (1 if self.sigma == "optimal" else 0)

    def encode(self, x):
        """The encoder's activation at every side, {side: [B, w, side, side]}."""
        m = self.margin
        h = F.pad(x, (m, m, m, m)) if m else x
        acts = {}
        for s, stage in zip(self.sides, self.enc):
            h = stage(h)
            acts[s] = h
        return acts

    def decode(self, acts, noise, ratio=False):
        """Logits, each row's KL per group [B, G], the rows' summed log ratios (with `ratio`) and
        the top group's posterior means [B, zc, 4, 4]."""
        b = acts[4].shape[0]
        h = self.start.expand(b, -1, -1, -1)
        kls, total, top = [], None, None
        for step, kind in zip(self.steps, self.kinds):
            if kind == "group":
                h, kl, r, qm = step(h, acts[step.side], noise, ratio)
                kls.append(kl)
                if top is None:
                    top = qm
                if ratio:
                    total = r if total is None else total + r
            else:
                h = step(h)
        y = self.out(h)
        m = self.margin
        if m:
            y = y[:, :, m:m + self.side, m:m + self.side]
        return y, torch.stack(kls, 1), total, top


def hvae_loss(model, x):
    """Per-example reconstruction NLL [B], per-group KL [B, G] (one posterior draw) and the log
    sigma used (optimal: this batch's sigma*, detached)."""
    logits, kls, _, _ = model.decode(model.encode(x), "global")
    if model.sigma == "optimal":
        with torch.no_grad():
            variance = (x - torch.sigmoid(logits)).pow(2).mean().double().clamp_min(SIGMA_FLOOR * SIGMA_FLOOR)
            log_sigma = (0.5 * variance.log()).float().reshape(1)
    else:
        log_sigma = model.log_sigma
    return gaussian_nll(logits, x, log_sigma), kls, log_sigma


# ---------------------------------------------------------------- evaluation (vaepipe evaluate --iwae K)

@torch.no_grad()
def evaluate(model, images, iwae, seed, batch=128, rows=128):
    """The held-out figures of `vaepipe evaluate --iwae K` over `images` (uint8 [N, C, S, S])."""
    model.eval()
    n, d = len(images), images[0].numel()
    log_sigma = model.log_sigma.detach().reshape(1)
    gen = torch.Generator().manual_seed(seed * 7919 + 17)
    rec = psnr = 0.0
    groups = torch.zeros(len(model.group_sides), dtype=torch.float64)
    means = []
    for i in range(0, n, batch):
        x = images[i:i + batch].float().div_(255)
        acts = model.encode(x)
        logits, kls, _, top = model.decode(acts, gen)   # one posterior draw (Evaluator.evaluate)
        rec += gaussian_nll(logits, x, log_sigma).double().sum().item()
        groups += kls.sum(0)
        means.append(top.flatten(1).double())
        # Every group at its posterior mean (VAE.reconstructMean, Evaluator.reconstructionPSNR).
        sq = (x - torch.sigmoid(model.decode(acts, None)[0])).double().pow(2).flatten(1).sum(1)
        psnr += torch.clamp(10 * torch.log10(d / sq.clamp_min(1e-300)), max=100).sum().item()
    means = torch.cat(means)
    active = int(((means.pow(2).mean(0) - means.mean(0).pow(2)) > 0.01).sum())   # ActiveUnits, top group
    kl = float(groups.sum())
    out = {"examples": n, "neg_elbo": (rec + kl) / n, "reconstruction": rec / n, "kl": kl / n,
           "kl_groups": [round(float(g) / n, 4) for g in groups], "psnr": psnr / n,
           "active_units": active, "log_sigma": float(log_sigma)}
    if iwae:
        # K draws per example of every group, `rows` decoded at a time; the encoder runs once per
        # example (vaepipe runs it on each row, the same activations).
        total_ll = total_elbo = 0.0
        group = max(1, rows // iwae)
        for i in range(0, n, group):
            x = images[i:i + group].float().div_(255)
            g = len(x)
            acts = model.encode(x)
            index = torch.arange(g).repeat_interleave(iwae)
            logw = torch.empty(g * iwae, dtype=torch.float64)
            for r in range(0, g * iwae, rows):
                sel = index[r:r + rows]
                logits, _, ratio, _ = model.decode({s: a[sel] for s, a in acts.items()}, gen, ratio=True)
                logw[r:r + rows] = ratio - gaussian_nll(logits, x[sel], log_sigma).double()
            logw = logw.view(g, iwae)
            total_ll += (torch.logsumexp(logw, 1) - math.log(iwae)).sum().item()
            total_elbo += logw.mean(1).sum().item()
        deq = d * math.log(256)   # a density over [0, 1] on 8-bit data
        ll, elbo = total_ll / n, total_elbo / n
        out.update({"iwae_samples": iwae, "log_likelihood": ll, "bits_per_dim": (deq - ll) / (d * math.log(2)),
                    "elbo_sampled": elbo, "elbo_bits_per_dim": (deq - elbo) / (d * math.log(2)),
                    "dequantization_nats": deq})
    return out


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # None: vaepipe's default for the image size (TrainDefaults), filled in below.
    add_arguments(ap, latent=8, latent_help="latent channels per pixel of each group", sigma=None,
                  lr_schedule=None, warmup=None, ema=None, flip=None, batch=16, lr=2e-3)
    ap.add_argument("--beta", type=float, default=1.0, help="weight of the KL term (1: the ELBO)")
    ap.add_argument("--kl-warmup", type=int, default=0, help="epochs over which the KL weight rises from 0 to --beta")
    ap.add_argument("--free-bits", type=float, default=0.0, help="nats each group's batch-mean KL counts as at least")
    a = ap.parse_args()
    large = a.size >= 32
    for name, big, small in (("sigma", "optimal", "learned"), ("lr_schedule", "cosine", "constant"),
                             ("warmup", 100, 0), ("ema", 0.999, 0.0), ("flip", True, False)):
        if getattr(a, name) is None:
            setattr(a, name, big if large else small)
    check_arguments(a)
    train, test, split, channels = load_data(a)

    model = HVAE(a.size, channels, a.width, a.blocks, a.latent, a.sigma)
    params = list(model.parameters())
    count = model.vaepipe_parameter_count()
    sides = " ".join(f"{s}x{s}" for s in model.group_sides)
    print(f"model: hvae {model.padded}x{model.padded}, width {a.width}, {a.blocks} block(s) per resolution, "
          f"latent groups at {sides} with {a.latent} channels each, {count} parameters "
          f"(as vaepipe counts them: the head's log sigma included)", flush=True)
    loss_fn = torch.compile(hvae_loss) if a.compile else hvae_loss
    steps_per_epoch = (len(train) + a.batch - 1) // a.batch
    weighs = a.beta != 1 or a.kl_warmup > 0 or a.free_bits > 0   # Objective.weighsKL
    kl_sums = {"groups": torch.zeros(len(model.group_sides), dtype=torch.float64), "rows": 0}

    def step_loss(x, epoch, i):
        nll, kls, log_sigma = loss_fn(model, x)
        per_group = kls.mean(0)
        reconstruction = nll.mean()
        neg_elbo = reconstruction + per_group.sum()
        loss = neg_elbo
        if weighs:   # Trainer.weighKL: each group's weight, 0 while its batch mean is under the free bits
            w = a.beta * min(1.0, ((epoch - 1) * steps_per_epoch + i) / (a.kl_warmup * steps_per_epoch)) \
                if a.kl_warmup > 0 else a.beta
            held = per_group.detach() < a.free_bits if a.free_bits > 0 else torch.zeros_like(per_group, dtype=torch.bool)
            loss = reconstruction + (torch.where(held, 0.0, w) * per_group).sum()
        kl_sums["groups"] += per_group.detach().double() * len(x)
        kl_sums["rows"] += len(x)
        return loss, neg_elbo.detach(), log_sigma

    def note():
        g = kl_sums["groups"] / max(1, kl_sums["rows"])
        kl_sums["groups"].zero_()
        kl_sums["rows"] = 0
        return " train_kl_groups " + " ".join(f"{v:.1f}" for v in g.tolist())

    # The average covers the head's stored log sigma too (vaepipe's WeightAverage averages the whole store).
    averaged = params + ([model.log_sigma] if a.sigma == "optimal" else [])
    run = train_model(model, params, step_loss, train, a, averaged=averaged, rate=True, note=note)

    eval_set = test[evenly_spaced(len(test), a.eval_examples)]
    t0 = time.perf_counter()
    figures = evaluate(model, eval_set, a.iwae, a.seed)
    eval_s = time.perf_counter() - t0
    print(f"evaluated {figures['examples']} {split} examples in {eval_s:.1f}s", flush=True)
    print(json.dumps(record(a, run, f"hvae{a.size}x{a.size}x{channels}-w{a.width}-b{a.blocks}-z{a.latent}",
                            train, test, split, figures, eval_s, parameters=count, group_sides=model.group_sides,
                            beta=a.beta, kl_warmup=a.kl_warmup, free_bits=a.free_bits)))


if __name__ == "__main__":
    main()
