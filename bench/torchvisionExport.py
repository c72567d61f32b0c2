#!/usr/bin/env python3
"""Full-size torchvision classifiers as ONNX for the benchmark (`npm run bench -- --model resnet18|vgg16`).

    /usr/bin/python3 bench/torchvisionExport.py OUTDIR ARCH [ARCH ...]

Writes OUTDIR/ARCH.onnx for each ARCH (a torchvision.models constructor: resnet18, vgg16, ...): the network in
eval mode with seeded random weights at 1x3x224x224, `torch.onnx.export(..., opset_version=13)` with the
default constant folding (BatchNorm folded into the convolution before it), input 'input', output 'logits'.
Debian's python3-torch / python3-torchvision (PyTorch 1.13, torchvision 0.14); CPU only, no network.

Random weights (no two biases alike: torch.onnx deduplicates equal initializers into Identity nodes, which
trained weights never have and the importer refused before e9862a5; kept so the figures stay comparable)
are calibrated so the figures are those of a healthy network (activations O(1) all the way down, no
denormals or infinities that would make a CPU slower or faster than with trained weights): BatchNorm
running statistics are set from a random batch, and in networks without BatchNorm every convolution and
linear layer is scaled to unit output variance on that batch, layer by layer.
Each file is written to a temporary name and renamed into place, so a file that exists is complete.
"""

import os
import sys

import torch
import torch.nn as nn
import torchvision

SIZE = 224
SEED = 8
CALIBRATION_BATCH = 4


def calibrated(arch):
    torch.manual_seed(SEED)
    model = getattr(torchvision.models, arch)(weights=None)
    x = torch.randn(CALIBRATION_BATCH, 3, SIZE, SIZE)
    with torch.no_grad():
        # torchvision initialises some biases to zero (VGG's): identical initializers, which torch.onnx
        # deduplicates into Identity nodes of one initializer. Trained weights have none; nor do these.
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None and not m.bias.any():
                m.bias.normal_(0, 0.01)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        if norms:
            # Cumulative averages over one batch: the running statistics of that batch.
            for m in norms:
                m.reset_running_stats()
                m.momentum = None
            model.train()
            model(x)
        else:
            # Scale each conv / linear layer, in the order they run, to unit output variance.
            layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
            model.eval()
            for layer in layers:
                seen = {}

                def record(_module, _inputs, output, seen=seen):
                    seen["std"] = output.std()

                hook = layer.register_forward_hook(record)
                model(x)
                hook.remove()
                layer.weight.mul_(1 / float(seen["std"]))
                if layer.bias is not None:
                    layer.bias.mul_(1 / float(seen["std"]))
    return model.eval()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, archs = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for arch in archs:
        path = os.path.join(out, f"{arch}.onnx")
        if os.path.exists(path):
            continue
        model = calibrated(arch)
        tmp = f"{path}.tmp-{os.getpid()}"
        torch.onnx.export(
            model,
            torch.randn(1, 3, SIZE, SIZE),
            tmp,
            opset_version=13,
            input_names=["input"],
            output_names=["logits"],
        )
        os.replace(tmp, path)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
