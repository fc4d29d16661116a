#!/usr/bin/env python3
"""PyTorch reference VAE for Benchmarks/compare.sh: the models, loss and protocol of ../shared/bench/torch_vae.py.

Same models, loss and protocol as vaepipe's benchmark definitions (see README.md beside this file).
Run with Debian's python3-torch:  /usr/bin/python3 torch_vae.py --model mlp --likelihood bernoulli --epochs 10
"""
import argparse, gzip, json, math, os, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LOG2PI = math.log(2 * math.pi)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, "expects unsigned-byte IDX"
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root, split):
    name = "train" if split == "train" else "t10k"
    for ext in (".gz", ""):
        p = os.path.join(root, f"{name}-images-idx3-ubyte{ext}")
        if os.path.exists(p):
            return torch.from_numpy(read_idx(p).astype(np.float32) / 255.0)
    raise FileNotFoundError(root)


class MLP(nn.Module):
    def __init__(self, d=784, h=400, k=20):
        super().__init__()
        self.e1, self.mu, self.lv = nn.Linear(d, h), nn.Linear(h, k), nn.Linear(h, k)
        self.d1, self.d2 = nn.Linear(k, h), nn.Linear(h, d)

    def encode(self, x):
        h = F.relu(self.e1(x.flatten(1)))
        return self.mu(h), self.lv(h)

    def decode(self, z):
        return self.d2(F.relu(self.d1(z)))


class Conv(nn.Module):
    """32x32x1 input (28x28 zero-padded by 2); 4x4 stride-2 convs 1->32->64->128, then 2048->256."""
    def __init__(self, k=32):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2048, 256), nn.ReLU())
        self.mu, self.lv = nn.Linear(256, k), nn.Linear(256, k)
        self.dec_fc = nn.Sequential(nn.Linear(k, 256), nn.ReLU(), nn.Linear(256, 2048), nn.ReLU())
        self.dec = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(64, 32, 4, 2, 1),
                                 nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))

    def encode(self, x):
        h = self.enc(F.pad(x.view(-1, 1, 28, 28), (2, 2, 2, 2)))
        return self.mu(h), self.lv(h)

    def decode(self, z):
        return self.dec(self.dec_fc(z).view(-1, 128, 4, 4))[:, :, 2:30, 2:30].flatten(1)


def neg_elbo(model, x, likelihood, log_sigma):
    """Per-example negative ELBO (nats), summed over pixels; returns a vector of size batch."""
    mu, lv = model.encode(x)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
    logits = model.decode(z)
    x = x.flatten(1)
    if likelihood == "bernoulli":
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    else:
        mean = torch.sigmoid(logits)
        nll = (0.5 * ((x - mean) / torch.exp(log_sigma)) ** 2 + log_sigma + 0.5 * LOG2PI).sum(1)
    kl = 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).sum(1)
    return nll + kl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--model", choices=["mlp", "conv"], default="mlp")
    ap.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default="bernoulli")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    train, test = load(a.data, "train"), load(a.data, "test")
    if a.limit:
        train = train[:a.limit]
    model = MLP() if a.model == "mlp" else Conv()
    log_sigma = nn.Parameter(torch.zeros(()))  # shared learned log sigma (Gaussian head only)
    params = list(model.parameters()) + ([log_sigma] if a.likelihood == "gaussian" else [])
    opt = torch.optim.Adam(params, lr=a.lr)
    times = []
    for epoch in range(1, a.epochs + 1):
        model.train()
        perm = torch.randperm(len(train))
        t0, total = time.perf_counter(), 0.0
        for i in range(0, len(train), a.batch):
            x = train[perm[i:i + a.batch]]
            loss = neg_elbo(model, x, a.likelihood, log_sigma).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        dt = time.perf_counter() - t0
        times.append(dt)
        model.eval()
        with torch.no_grad():
            test_loss = sum(neg_elbo(model, test[i:i + 1000], a.likelihood, log_sigma).sum().item()
                            for i in range(0, len(test), 1000)) / len(test)
        print(f"epoch {epoch} train_s {dt:.2f} train_neg_elbo {total / len(train):.2f} test_neg_elbo {test_loss:.2f}",
              flush=True)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"torch": torch.__version__, "model": a.model, "likelihood": a.likelihood, "epochs": a.epochs,
                      "train_examples": len(train), "median_epoch_s": round(med, 3),
                      "examples_per_s": round(len(train) / med, 1), "final_test_neg_elbo": round(test_loss, 3)}))


if __name__ == "__main__":
    main()
