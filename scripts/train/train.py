#!/usr/bin/env python3
"""Trains ZF Lens's embedded default model: the paper's ZFNet geometry at reduced widths, on the project's
synthetic-shapes generator (src/engine/data/synthetic.ts), and exports it to ONNX for the TypeScript importer.

The network mirrors the engine's `paperZfnetLayers` exactly (src/engine/model/zfnet.ts):

    conv1 7x7 s2 pad 1 + ReLU -> 110x110   pool1 max 3/2 ceil -> 55x55   norm1 LRN across 5
    conv2 5x5 s2 pad 0 + ReLU -> 26x26     pool2 max 3/2 ceil -> 13x13   norm2 LRN across 5
    conv3, conv4, conv5 3x3 s1 pad 1 + ReLU -> 13x13                     pool5 max 3/2 floor -> 6x6
    flatten (NCHW, i.e. the engine's 'chw' order) -> fc6 + ReLU (+ dropout 0.5) -> fc7 + ReLU (+ dropout 0.5)
    -> fc8 -> softmax (exported) / cross-entropy (training)

--geometry alexnet swaps in AlexNet's front end (Krizhevsky et al. 2012; torchvision's alexnet padding), the
rest unchanged, so the two first layers can be compared as the paper's Fig. 6 does:

    conv1 11x11 s4 pad 2 + ReLU -> 55x55   norm1 LRN   pool1 max 3/2 -> 27x27
    conv2 5x5 s1 pad 2 + ReLU -> 27x27     norm2 LRN   pool2 max 3/2 -> 13x13
    conv3, conv4, conv5 3x3 s1 pad 1 + ReLU -> 13x13   pool5 max 3/2 -> 6x6, then fc6.. as above

--snapshots LABEL:STEP,... also keeps the weights after those steps (0: the initialisation) and exports each
as RUN/ckpt-LABEL/{model.onnx,train.json}, for a series of checkpoints (scripts/train/pipeline.ts --checkpoints).

LRN uses ONNX/Caffe semantics y = x / (k + alpha/n * sum x^2)^beta with n = 5, alpha = 5e-4, beta = 0.75,
k = 2 (the engine spec's values); its ONNX export is a single `LRN` node (see `LRNFunction.symbolic`).
As in the paper, after every update each conv filter whose RMS exceeds 0.1 is rescaled to RMS 0.1.
Optimiser: Adam with a cosine learning-rate cycle (and optional further cycles continuing a finished run,
--init); the conv weights also get decoupled weight decay (AdamW, 1.0) and conv1 starts below the cap (std
0.05), so the filters and projections show learned structure rather than the random initialisation or
Adam's noise; dropout 0.5 on fc6 and fc7; horizontal flips. Runs on CUDA when available (TF32 off).

Input preprocessing (stored in the converted model's spec): RGB, subtract the training set's mean pixel,
multiply by SCALE. With SCALE = 1/16 a mean-subtracted input has a standard deviation of ~4, so a conv1
filter at the RMS cap (L2 norm 0.1 * sqrt(147) = 1.2) can still produce responses in the tens: the
constraint limits conv1 without starving it, and LRN (bias 2) acts mildly on conv1's outputs.

Everything is seeded (torch, the shuffling generator, the dataset itself), single process. Torch's CPU
kernels may still differ in the last bits between machines, so re-runs agree closely but not bit for bit.

Usage (see scripts/train/pipeline.ts, which runs the whole pipeline, and device-train.sh):
  /usr/bin/python3 scripts/train/train.py --data scripts/train/data --out scripts/train/data/run \
      --conv 48,128,192,192,128 --fc 512,512 --epochs 4 --batch-size 32
"""
from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

RMS_CAP = 0.1
LRN = dict(size=5, alpha=5e-4, beta=0.75, k=2.0)
SCALE = 1.0 / 16.0


class LRNFunction(torch.autograd.Function):
    """Cross-channel LRN whose ONNX export is one `LRN` node (PyTorch's own export decomposes it)."""

    @staticmethod
    def forward(ctx, x, size: int, alpha: float, beta: float, k: float):  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.params = (size, alpha, beta, k)
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            xx = x.detach().requires_grad_(True)
            y = F.local_response_norm(xx, *ctx.params)
            (gx,) = torch.autograd.grad(y, xx, grad)
        return gx, None, None, None, None

    @staticmethod
    def symbolic(g, x, size: int, alpha: float, beta: float, k: float):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class LocalResponseNorm(nn.Module):
    def __init__(self, size: int, alpha: float, beta: float, k: float):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return LRNFunction.apply(x, self.size, self.alpha, self.beta, self.k)


class ZFNet(nn.Module):
    """The paper's ZFNet geometry (224 -> 110/55/26/13/6) at the given widths."""

    def __init__(self, conv: list[int], fc: list[int], classes: int, conv1_init: float = 0.05):
        super().__init__()
        c1, c2, c3, c4, c5 = conv
        self.conv1 = nn.Conv2d(3, c1, 7, stride=2, padding=1)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.norm1 = LocalResponseNorm(**LRN)
        self.conv2 = nn.Conv2d(c1, c2, 5, stride=2, padding=0)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.norm2 = LocalResponseNorm(**LRN)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.conv4 = nn.Conv2d(c3, c4, 3, padding=1)
        self.conv5 = nn.Conv2d(c4, c5, 3, padding=1)
        self.pool5 = nn.MaxPool2d(3, 2)
        self.flatten = nn.Flatten()
        self.fc6 = nn.Linear(c5 * 6 * 6, fc[0])
        self.drop6 = nn.Dropout(0.5)
        self.fc7 = nn.Linear(fc[0], fc[1])
        self.drop7 = nn.Dropout(0.5)
        self.fc8 = nn.Linear(fc[1], classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        # conv1 starts below the RMS cap (He init would put it at the cap, where nothing would ever shrink
        # the random part): with its weight decay, what its filters show after training is what they learned.
        nn.init.normal_(self.conv1.weight, std=conv1_init)
        nn.init.normal_(self.fc8.weight, std=0.01)
        renormalise_filters(self)

    def conv_layers(self) -> list[nn.Conv2d]:
        return [self.conv1, self.conv2, self.conv3, self.conv4, self.conv5]

    def forward(self, x):
        x = self.norm1(self.pool1(F.relu(self.conv1(x))))
        x = self.norm2(self.pool2(F.relu(self.conv2(x))))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = self.pool5(F.relu(self.conv5(x)))
        x = self.flatten(x)
        x = self.drop6(F.relu(self.fc6(x)))
        x = self.drop7(F.relu(self.fc7(x)))
        return self.fc8(x)


class AlexNetGeometry(ZFNet):
    """AlexNet's first two layers (11x11 stride 4, 5x5 pad 2; LRN before each pool) in front of ZFNet's rest.

    Pools floor as torchvision's alexnet does; at 224 every pool window fits exactly (55 -> 27 -> 13 -> 6), so
    Caffe's ceil rounding would give the same sizes.
    """

    def __init__(self, conv: list[int], fc: list[int], classes: int, conv1_init: float = 0.05):
        super().__init__(conv, fc, classes, conv1_init)
        c1, c2 = conv[0], conv[1]
        self.conv1 = nn.Conv2d(3, c1, 11, stride=4, padding=2)
        self.pool1 = nn.MaxPool2d(3, 2)
        self.conv2 = nn.Conv2d(c1, c2, 5, stride=1, padding=2)
        self.pool2 = nn.MaxPool2d(3, 2)
        for m in (self.conv1, self.conv2):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        # Same starting scale as the ZFNet geometry's conv1 (see there), so only the geometry differs.
        nn.init.normal_(self.conv1.weight, std=conv1_init)
        renormalise_filters(self)

    def forward(self, x):
        x = self.pool1(self.norm1(F.relu(self.conv1(x))))
        x = self.pool2(self.norm2(F.relu(self.conv2(x))))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = self.pool5(F.relu(self.conv5(x)))
        x = self.flatten(x)
        x = self.drop6(F.relu(self.fc6(x)))
        x = self.drop7(F.relu(self.fc7(x)))
        return self.fc8(x)


GEOMETRIES = {"zfnet": ZFNet, "alexnet": AlexNetGeometry}


def make_net(geometry: str, conv: list[int], fc: list[int], classes: int, conv1_init: float = 0.05) -> ZFNet:
    if geometry not in GEOMETRIES:
        raise SystemExit(f"--geometry must be one of {', '.join(GEOMETRIES)}, got {geometry!r}")
    return GEOMETRIES[geometry](conv, fc, classes, conv1_init)


def parse_snapshots(text: str | None) -> dict[int, str]:
    """'0:0,e1:400,end:800' -> {0: '0', 400: 'e1', 800: 'end'}: the steps after which to keep the weights."""
    out: dict[int, str] = {}
    for item in (text or "").split(","):
        if not item:
            continue
        label, sep, step = item.rpartition(":")
        if not sep or not label or not step.isdigit():
            raise SystemExit(f"--snapshots: {item!r} is not LABEL:STEP")
        if int(step) in out:
            raise SystemExit(f"--snapshots: {out[int(step)]!r} and {label!r} are both step {step}")
        out[int(step)] = label
    return out


class WithSoftmax(nn.Module):
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


@torch.no_grad()
def renormalise_filters(net: ZFNet) -> int:
    """The paper's constraint: conv filters with RMS > RMS_CAP are rescaled to RMS_CAP. Returns how many."""
    capped = 0
    for conv in net.conv_layers():
        w = conv.weight
        rms = w.pow(2).mean(dim=(1, 2, 3)).sqrt()
        factor = torch.clamp(RMS_CAP / rms.clamp_min(1e-12), max=1.0)
        capped += int((factor < 1).sum())
        w.mul_(factor.view(-1, 1, 1, 1))
    return capped


@torch.no_grad()
def conv1_roughness(net: ZFNet) -> float:
    return conv_roughness(net.conv1.weight)


@torch.no_grad()
def conv_roughness(w: torch.Tensor) -> float:
    """Energy of a kernel's spatial neighbour differences over its total energy: 2 for white noise, ~0 smooth."""
    dx = (w[..., 1:] - w[..., :-1]).pow(2).mean()
    dy = (w[..., 1:, :] - w[..., :-1, :]).pow(2).mean()
    return float((dx + dy) / 2 / w.pow(2).mean().clamp_min(1e-20))


class Split:
    """A split written by make-dataset.ts: uint8 images [N, H, W, 3] (memory-mapped) and labels [N]."""

    def __init__(self, data: Path, name: str):
        meta = json.loads((data / f"{name}.json").read_text())
        self.meta = meta
        n, h, w = meta["count"], meta["height"], meta["width"]
        self.images = np.memmap(data / f"{name}.images.u8", dtype=np.uint8, mode="r", shape=(n, h, w, 3))
        self.labels = np.fromfile(data / f"{name}.labels.u8", dtype=np.uint8).astype(np.int64)
        assert len(self.labels) == n, f"{name}: {len(self.labels)} labels for {n} images"

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, idx: np.ndarray, mean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Network input (NCHW, mean-subtracted and scaled) and labels, on `mean`'s device."""
        # Sorted reads are kinder to the page cache; the order within a batch does not matter.
        idx = np.sort(idx)
        x = torch.from_numpy(np.ascontiguousarray(self.images[idx])).to(mean.device)
        x = (x.permute(0, 3, 1, 2).float() - mean.view(1, 3, 1, 1)) * SCALE
        return x.contiguous(), torch.from_numpy(self.labels[idx]).to(mean.device)


def mean_pixel(split: Split, samples: int = 2000) -> list[float]:
    step = max(1, len(split) // samples)
    sub = np.asarray(split.images[::step], dtype=np.float64)
    return [round(float(v), 1) for v in sub.reshape(-1, 3).mean(axis=0)]


@torch.no_grad()
def evaluate(net: nn.Module, split: Split, mean: torch.Tensor, batch_size: int = 100) -> tuple[float, list]:
    net.eval()
    classes = len(split.meta["classes"])
    confusion = np.zeros((classes, classes), dtype=np.int64)
    for start in range(0, len(split), batch_size):
        idx = np.arange(start, min(len(split), start + batch_size))
        x, y = split.batch(idx, mean)
        pred = net(x).argmax(dim=1)
        np.add.at(confusion, (y.cpu().numpy(), pred.cpu().numpy()), 1)
    net.train()
    return float(np.trace(confusion) / confusion.sum()), confusion.tolist()


def export_onnx(net: ZFNet, path: Path) -> None:
    net.eval()
    wrapper = WithSoftmax(net).eval()
    dummy = torch.zeros(1, 3, 224, 224)
    warnings.filterwarnings("ignore", message=".*_graph_op.*is deprecated", category=FutureWarning)
    torch.onnx.export(
        wrapper,
        dummy,
        str(path),
        opset_version=11,
        input_names=["data"],
        output_names=["prob"],
        dynamic_axes={"data": {0: "N"}, "prob": {0: "N"}},
        training=torch.onnx.TrainingMode.EVAL,
        do_constant_folding=True,
    )
    import onnx  # python3-onnx (Debian); only used to check the export

    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("LRN") == 2, f"expected two LRN nodes, got ops {ops}"
    print(f"exported {path}: {' '.join(ops)}", flush=True)


def phases_of(previous: dict) -> list[dict]:
    """The training phases recorded in an earlier run's train.json (older files recorded a single one)."""
    if "phases" in previous:
        return previous["phases"]
    return [
        {
            "epochs": previous["epochs"],
            "steps": previous["steps"],
            "lr": 1e-3,
            "warmup": 100,
            "seconds": previous["train_seconds"],
            "history": previous.get("history", []),
        }
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("scripts/train/data"))
    ap.add_argument("--train", default="train", help="training split name (NAME.images.u8 in --data)")
    ap.add_argument("--val", default="val", help="validation split name, evaluated after every epoch")
    ap.add_argument("--heldout", default="heldout", help="held-out split, evaluated once at the end")
    ap.add_argument("--out", type=Path, default=Path("scripts/train/data/run"))
    ap.add_argument("--geometry", default="zfnet", help="zfnet (the paper's) or alexnet (AlexNet's conv1/conv2)")
    ap.add_argument("--conv", default="48,128,192,192,128", help="conv1..conv5 widths")
    ap.add_argument("--fc", default="512,512", help="fc6, fc7 widths")
    ap.add_argument("--epochs", type=float, default=4.0, help="passes over the training split (may be fractional)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3, help="peak Adam learning rate (cosine decay to 0)")
    ap.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    ap.add_argument("--seed", type=int, default=20131112)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--init",
        type=Path,
        help="continue from a finished run folder (its model.pt, mean pixel and history): a second "
        "cosine cycle, with the shuffling seeded by --seed + the number of earlier phases",
    )
    ap.add_argument("--conv-decay", type=float, default=1.0, help="AdamW weight decay of the conv weights")
    ap.add_argument("--conv1-init", type=float, default=0.05, help="standard deviation of conv1's initial weights")
    ap.add_argument("--checkpoint-every", type=int, default=50, help="steps between resumable checkpoints")
    ap.add_argument("--eval-every", type=int, default=0, help="validate every N steps (default: every epoch)")
    ap.add_argument(
        "--snapshots",
        help="LABEL:STEP,... keep the weights after these steps (0: the initialisation) and export each as "
        "OUT/ckpt-LABEL (a series of checkpoints)",
    )
    ap.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    ap.add_argument("--no-export", action="store_true", help="skip the ONNX export (do it later with --export-only)")
    ap.add_argument(
        "--export-only",
        action="store_true",
        help="only (re)do the CPU part of a finished run in --out: reference logits and the ONNX export",
    )
    args = ap.parse_args()
    if args.export_only:
        export_run(args)
        return

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    if use_cuda:
        # Full float32 arithmetic, as the engine computes it (no TF32 shortcuts).
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        device_name = torch.cuda.get_device_name(0)
    else:
        device_name = f"CPU ({args.threads} threads)"
    print(f"device: {device_name}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)

    train = Split(args.data, args.train)
    val = Split(args.data, args.val) if (args.data / f"{args.val}.json").exists() else None
    heldout = Split(args.data, args.heldout) if (args.data / f"{args.heldout}.json").exists() else None
    classes: list[str] = train.meta["classes"]
    conv = [int(v) for v in args.conv.split(",")]
    fc = [int(v) for v in args.fc.split(",")]
    previous = json.loads((args.init / "train.json").read_text()) if args.init else None
    if previous and (previous["conv"] != conv or previous["fc"] != fc):
        raise SystemExit(f"--init {args.init} has widths conv {previous['conv']} fc {previous['fc']}")
    if previous and previous.get("geometry", "zfnet") != args.geometry:
        raise SystemExit(f"--init {args.init} has geometry {previous.get('geometry', 'zfnet')}")
    snapshots = parse_snapshots(args.snapshots)
    if snapshots and args.init:
        raise SystemExit("--snapshots cannot be combined with --init (steps count from the initialisation)")
    # A continued run keeps the mean pixel it was trained with.
    mean_list = previous["mean"] if previous else mean_pixel(train)
    mean = torch.tensor(mean_list, device=device)
    print(f"train {len(train)} images, classes {classes}; mean pixel {mean_list}, scale {SCALE}", flush=True)

    net = make_net(args.geometry, conv, fc, len(classes), args.conv1_init)
    phases = phases_of(previous) if previous else []
    if args.init:
        net.load_state_dict(torch.load(args.init / "model.pt", map_location="cpu"))
        print(f"continuing from {args.init} ({len(phases)} earlier phase(s))", flush=True)
    net.to(device)
    params = sum(p.numel() for p in net.parameters())
    print(f"{args.geometry} geometry, widths conv {conv} fc {fc}: {params} parameters", flush=True)
    # Adam everywhere; the conv weights also get decoupled weight decay (AdamW). Without it a short run
    # leaves the conv filters as white noise (measured: neighbour-difference energy equal to that of white
    # noise, the random initialisation or Adam's normalised steps); the decay removes what the loss does not
    # keep pushing for, so the filters and the deconvnet projections that ship show what was learned.
    conv_weights = [c.weight for c in net.conv_layers()]
    opt = torch.optim.AdamW(
        [
            {"params": conv_weights, "weight_decay": args.conv_decay},
            {
                "params": [p for p in net.parameters() if all(p is not w for w in conv_weights)],
                "weight_decay": 0.0,
            },
        ],
        lr=args.lr,
    )
    steps_per_epoch = len(train) // args.batch_size
    total = max(1, int(round(args.epochs * steps_per_epoch)))
    late = [f"{label}:{step}" for step, label in snapshots.items() if step > total]
    if late:
        raise SystemExit(f"--snapshots {', '.join(late)}: the run has only {total} steps")
    snap_dir = args.out / "snapshots"
    if snapshots:
        snap_dir.mkdir(parents=True, exist_ok=True)

    def snapshot(step: int, seen: int, elapsed: float) -> None:
        """Keeps the weights after `step` updates (a resumed run finds those it already kept on disk)."""
        if step in snapshots:
            state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
            torch.save(
                {"label": snapshots[step], "step": step, "seen": seen, "seconds": round(elapsed, 1), "net": state},
                snap_dir / f"{snapshots[step]}.pt",
            )

    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: min(1.0, (s + 1) / args.warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)),
    )
    shuffle = np.random.default_rng(args.seed + len(phases))
    history = []
    step = 0
    seen = 0
    elapsed = 0.0
    order = None
    run_loss = run_acc = 0.0
    # A killed run resumes from its last checkpoint (same arguments only), continuing the same sequence.
    ckpt_path = args.out / "checkpoint.pt"
    signature = {k: str(v) for k, v in sorted(vars(args).items())}
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ck["signature"] == signature:
            net.load_state_dict(ck["net"])
            opt.load_state_dict(ck["opt"])
            sched.load_state_dict(ck["sched"])
            step, seen, elapsed, history, order = ck["step"], ck["seen"], ck["elapsed"], ck["history"], ck["order"]
            run_loss, run_acc = ck["running"]
            shuffle.bit_generator.state = ck["shuffle"]
            torch.set_rng_state(ck["torch_rng"].cpu())
            if use_cuda and ck.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(ck["cuda_rng"].cpu())
            print(f"resumed from {ckpt_path} at step {step}", flush=True)
        else:
            print(f"ignoring {ckpt_path}: it was written with other arguments", flush=True)
    t0 = time.time() - elapsed
    if step == 0:
        snapshot(0, 0, 0.0)
    net.train()
    while step < total:
        b = step % steps_per_epoch
        if b == 0 or order is None:
            order = shuffle.permutation(len(train))
        x, y = train.batch(order[b * args.batch_size : (b + 1) * args.batch_size], mean)
        # Augmentation: horizontal flips (every class is mirror-symmetric as a class).
        flip = torch.from_numpy(shuffle.random(len(y)) < 0.5).to(x.device)
        x[flip] = x[flip].flip(3)
        logits = net(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        capped = renormalise_filters(net)
        step += 1
        seen += len(y)
        snapshot(step, seen, time.time() - t0)
        loss_value = loss.item()
        run_loss = 0.95 * run_loss + 0.05 * loss_value if step > 1 else loss_value
        acc = float((logits.argmax(1) == y).float().mean())
        run_acc = 0.95 * run_acc + 0.05 * acc if step > 1 else acc
        if step % 20 == 0 or step == total:
            el = time.time() - t0
            print(
                f"step {step}/{total} epoch {seen / len(train):.2f} loss {run_loss:.3f} "
                f"train-acc {run_acc:.3f} lr {sched.get_last_lr()[0]:.2e} capped {capped} "
                f"{seen / el:.1f} img/s {el / 60:.1f} min",
                flush=True,
            )
        every = args.eval_every or steps_per_epoch
        if val is not None and (step % every == 0 or step == total):
            acc_val, _ = evaluate(net, val, mean)
            history.append({"step": step, "epoch": seen / len(train), "val_accuracy": acc_val})
            rough = " ".join(f"{conv_roughness(c.weight):.2f}" for c in net.conv_layers())
            print(
                f"  validation accuracy {acc_val:.4f} ({len(val)} images); "
                f"conv1-5 roughness {rough} (white noise 2)",
                flush=True,
            )
        if step % args.checkpoint_every == 0 and step < total:
            torch.save(
                {
                    "signature": signature,
                    "net": net.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "seen": seen,
                    "elapsed": time.time() - t0,
                    "history": history,
                    "order": order,
                    "running": (run_loss, run_acc),
                    "shuffle": shuffle.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state() if use_cuda else None,
                },
                ckpt_path,
            )
    train_s = time.time() - t0
    ckpt_path.unlink(missing_ok=True)
    phase = {
        "epochs": seen / len(train),
        "steps": step,
        "lr": args.lr,
        "warmup": args.warmup,
        "seconds": round(train_s, 1),
        "history": history,
    }
    phases = phases + [phase]
    total_s = sum(p["seconds"] for p in phases)
    cycles = " + ".join(f"{p['steps']} steps at peak lr {p['lr']:g}" for p in phases)

    result = {
        "geometry": args.geometry,
        "classes": classes,
        "conv": conv,
        "fc": fc,
        "parameters": params,
        "mean": mean_list,
        "scale": SCALE,
        "lrn": LRN,
        "rms_cap": RMS_CAP,
        "train_images": len(train),
        "train_split_seed": train.meta["splitSeed"],
        "epochs": sum(p["epochs"] for p in phases),
        "steps": sum(p["steps"] for p in phases),
        "batch_size": args.batch_size,
        "optimizer": f"Adam (AdamW weight decay {args.conv_decay:g} on the conv weights), cosine learning-rate cycles "
        f"({cycles}), dropout 0.5 on fc6/fc7",
        "conv1_init_std": args.conv1_init,
        "conv1_roughness": conv1_roughness(net),
        "conv_roughness": [conv_roughness(c.weight) for c in net.conv_layers()],
        "seed": args.seed,
        "threads": args.threads,
        "device": device_name,
        "train_seconds": round(total_s, 1),
        "phases": phases,
        **({"snapshots": [{"label": label, "step": s} for s, label in sorted(snapshots.items())]} if snapshots else {}),
        "torch": torch.__version__,
    }
    if heldout is not None:
        acc_h, conf = evaluate(net, heldout, mean)
        result.update(
            heldout_accuracy=acc_h, heldout_count=len(heldout), heldout_split_seed=heldout.meta["splitSeed"],
            heldout_confusion=conf,
        )
        print(f"held-out accuracy (PyTorch) {acc_h:.4f} on {len(heldout)} images", flush=True)
    net.to("cpu")
    torch.save(net.state_dict(), args.out / "model.pt")
    (args.out / "train.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"trained in {train_s / 60:.1f} min ({total_s / 60:.1f} min in all); wrote {args.out}", flush=True)
    if not args.no_export:
        export_run(args)


def export_run(args: argparse.Namespace) -> None:
    """The CPU part of a finished run in args.out: reference logits and the ONNX export, of the final model
    and of every snapshot (OUT/ckpt-LABEL/{model.onnx,train.json}).

    Reference logits (fc8, float32 on the CPU) for the first images of the held-out (else validation) split:
    convert.ts recomputes them through the engine to check the conversion end to end.
    """
    result = json.loads((args.out / "train.json").read_text())
    geometry = result.get("geometry", "zfnet")
    ref_name = args.heldout if (args.data / f"{args.heldout}.json").exists() else args.val
    ref_split = Split(args.data, ref_name) if (args.data / f"{ref_name}.json").exists() else None

    def export(state: dict, out: Path, info: dict) -> None:
        net = make_net(geometry, info["conv"], info["fc"], len(info["classes"]))
        net.load_state_dict(state)
        net.eval()
        if ref_split is not None:
            mean = torch.tensor(info["mean"])
            with torch.no_grad():
                x, _ = ref_split.batch(np.arange(8), mean)
                logits = net(x)
            info["reference"] = {
                "split_seed": ref_split.meta["splitSeed"],
                "indices": list(range(8)),
                "logits": [[round(float(v), 6) for v in row] for row in logits],
            }
        out.mkdir(parents=True, exist_ok=True)
        export_onnx(net, out / "model.onnx")
        info["onnx_exported_with_torch"] = torch.__version__
        (out / "train.json").write_text(json.dumps(info, indent=1) + "\n")
        print(f"wrote {out}/model.onnx and reference logits in train.json", flush=True)

    export(torch.load(args.out / "model.pt", map_location="cpu"), args.out, result)
    final_step = result["steps"]
    for entry in result.get("snapshots", []):
        snap = torch.load(args.out / "snapshots" / f"{entry['label']}.pt", map_location="cpu")
        info = json.loads(json.dumps(result))
        for key in ("reference", "snapshots", "onnx_exported_with_torch"):
            info.pop(key, None)
        if snap["step"] != final_step:
            # PyTorch's held-out figures are the final model's; convert.ts measures each checkpoint's own.
            for key in ("heldout_accuracy", "heldout_count", "heldout_split_seed", "heldout_confusion"):
                info.pop(key, None)
        probe = make_net(geometry, info["conv"], info["fc"], len(info["classes"]))
        probe.load_state_dict(snap["net"])
        info.update(
            steps=snap["step"],
            epochs=snap["seen"] / info["train_images"],
            train_seconds=snap["seconds"],
            conv1_roughness=conv1_roughness(probe),
            conv_roughness=[conv_roughness(c.weight) for c in probe.conv_layers()],
            checkpoint={"label": entry["label"], "step": snap["step"], "of_steps": final_step},
        )
        for phase in info["phases"]:
            phase["history"] = [h for h in phase["history"] if h["step"] <= snap["step"]]
        export(snap["net"], args.out / f"ckpt-{entry['label']}", info)


if __name__ == "__main__":
    main()
