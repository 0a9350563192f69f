#!/usr/bin/env python3
"""Writes the torchvision reference fixtures of Offramp's RegNetY and MobileNetV3-Large backbones.

Run from the repository root with Debian's PyTorch 1.13 and torchvision 0.14 (`apt-get install -y
python3-torchvision`; a tool for developers, never a runtime dependency of Offramp):
    /usr/bin/python3 tools/torchvision_backbones.py [--out tests/Offramp.Tests/Fixtures/backbones]

Outputs (deterministic: fixed seeds, no timestamps):
  torchvision_backbones.json   per variant (3x224x224 input, 1000 classes): parameter count; MACs per part counted
                               with forward hooks (Conv2d: output elements x (C_in/groups) x KH x KW; Linear:
                               in x out; the SE block's 1x1 convs included; nothing else counted); the stage split;
                               every state-dict key with its shape, in torchvision's order.
  regnet_y_tiny.safetensors    parity case: a small RegNetY built with torchvision's own RegNet and
                               BlockParams.from_init_params (depth 8, w_0 16, w_a 12.7, w_m 2.1, group width 24,
                               SE 0.25: four stages, and both width/group adjustments of from_init_params fire),
                               10 classes, eval mode, input (2, 3, 64, 64).
  mobilenet_v3_large_0x5.safetensors   parity case: torchvision.models.mobilenet_v3_large(width_mult=0.5),
                               10 classes, eval mode, input (2, 3, 64, 64).
A parity file holds "state.<key>" (the state dict, strict-loadable), "input", "logits" and the intermediate
feature maps "out.<part>" (RegNet: stem, block1..block4; MobileNet: the outputs of the Dynamic Perceiver's split,
features[0:3], [3:5], [5:8], [8:14], [14:17]), with the configuration as JSON in the metadata ("case").
The weights are torchvision's initialisation from torch.manual_seed, then BatchNorm statistics from three
training-mode passes over random batches (cumulative average) and random BatchNorm affine parameters, so every
BatchNorm in eval mode does real work; Linear weights are N(0, 1/in) so the logits are O(1). The reference outputs
are the float64 forward of the same weights (see write_parity).
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models import mobilenetv3, regnet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_fixtures import save_file  # noqa: E402  (the one Python safetensors writer of this repo)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Offramp.Tests", "Fixtures",
                   "backbones")

REGNETS = ["regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf"]
MOBILENET_WIDTHS = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
# The Dynamic Perceiver's split of MobileNetV3-Large's features (dyn_perceiver_mobilenet_v3.py).
MOBILENET_SPLIT = [(0, 3), (3, 5), (5, 8), (8, 14), (14, 17)]
TINY = dict(depth=8, w_0=16, w_a=12.7, w_m=2.1, group_width=24, se_ratio=0.25)


class MacCounter:
    """Forward hooks adding conv and Linear multiply-accumulates per sample into the current part's bucket."""

    def __init__(self, model):
        self.part = None
        self.macs = {}
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.register_forward_hook(self.hook)

    def hook(self, m, inputs, output):
        n = output.shape[0]
        if isinstance(m, nn.Conv2d):
            per = output.numel() // n * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        else:
            per = m.in_features * m.out_features
        self.macs[self.part] = self.macs.get(self.part, 0) + per


def state_keys(model):
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def regnet_parts(model, x):
    """(name, output) per part, running stem, trunk stages and head one after the other."""
    x = model.stem(x)
    yield "stem", x
    for name, stage in model.trunk_output.named_children():
        x = stage(x)
        yield name, x
    yield "head", model.fc(torch.flatten(model.avgpool(x), 1))


def mobilenet_parts(model, x):
    """(index, output) per feature block, then the classifier head."""
    for i, block in enumerate(model.features):
        x = block(x)
        yield str(i), x
    yield "head", model.classifier(torch.flatten(model.avgpool(x), 1))


def count(model, parts_fn, size=224):
    """MACs per sample and output shape (C, H, W) of every part, for a size x size input."""
    counter = MacCounter(model)
    model.eval()
    shapes = {}
    with torch.no_grad():
        parts = parts_fn(model, torch.zeros(1, 3, size, size))
        while True:
            # The generator is lazy: the part's modules run (and their hooks fire) inside next().
            counter.part = "pending"
            item = next(parts, None)
            if item is None:
                break
            name, out = item
            counter.macs[name] = counter.macs.pop("pending", 0)
            shapes[name] = list(out.shape[1:])
    return counter.macs, shapes


def regnet_entry(name):
    model = getattr(torchvision.models, name)()
    macs, shapes = count(model, regnet_parts)
    stages = [s for _, s in model.trunk_output.named_children()]
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "macs": sum(macs.values()),
        "part_macs": macs,
        "part_shapes": shapes,
        "depths": [len(s) for s in stages],
        "widths": [s[0].f.c[0].out_channels for s in stages],
        "group_widths": [s[0].f.b[0].out_channels // s[0].f.b[0].groups for s in stages],
        "keys": state_keys(model),
    }


def mobilenet_entry(width):
    model = torchvision.models.mobilenet_v3_large(width_mult=width)
    macs, shapes = count(model, mobilenet_parts)
    return {
        "width_mult": width,
        "params": sum(p.numel() for p in model.parameters()),
        "macs": sum(macs.values()),
        "part_macs": macs,
        "part_shapes": shapes,
        "stage_in_channels": [model.features[s].block[0][0].in_channels for s, _ in MOBILENET_SPLIT[1:]],
        "lastconv_output_channels": model.features[-1][0].out_channels,
        "last_channel": model.classifier[0].out_features,
        "keys": state_keys(model),
    }


def randomize(model, seed, damped):
    """BatchNorm statistics from training-mode passes, random BN affine parameters, Linear weights N(0, 1/in).

    The BatchNorms in `damped` (the last of each residual branch) get weights in [0.2, 0.5] instead of [0.5, 1.5],
    so the residual stream stays O(1) and float32 rounding stays well inside the parity tolerance (with [0.5, 1.5]
    activations reach |x| ~ 30-500 and torch's own float32 result misses its float64 result by more than it).
    """
    gen = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None  # cumulative average over the passes below
        elif isinstance(m, nn.Linear):
            with torch.no_grad():
                m.weight.normal_(0.0, m.in_features ** -0.5, generator=gen)
                m.bias.uniform_(-0.1, 0.1, generator=gen)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 64, 64, generator=gen))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                lo, hi = (0.2, 0.5) if any(m is d for d in damped) else (0.5, 1.5)
                m.weight.uniform_(lo, hi, generator=gen)
                m.bias.uniform_(-0.2, 0.2, generator=gen)
    model.eval()


def write_parity(path, model, parts_fn, groups, case):
    """Saves state dict, input, and the reference logits and outputs after each group of parts.

    The reference is torchvision's model run in float64 on the same (float32) weights and input, rounded to float32:
    the exact answer, so a C# test measures only its own rounding. The script checks that torch's float32 forward is
    within the tests' tolerance of it (rtol 1e-4, atol 1e-5), i.e. that the case is well conditioned."""
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(123))
    tensors = {f"state.{k}": v.clone() for k, v in model.state_dict().items()}
    tensors["input"] = x
    with torch.no_grad():
        outs32 = dict(parts_fn(model, x))
        assert torch.equal(outs32["head"], model(x))
        outs = {k: v.float() for k, v in parts_fn(model.double(), x.double())}
        model.float()
    for k, v in outs.items():
        worst = ((outs32[k] - v).abs() / (1e-5 + 1e-4 * v.abs())).max().item()
        assert worst < 0.25, f"{path}: torch float32 misses float64 at {k} by {worst:.2f} of the tolerance"
    for group, last in groups:
        tensors[f"out.{group}"] = outs[last]
    tensors["logits"] = outs["head"]
    tmp = path + ".tmp"
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, tmp, {"case": json.dumps(case)})
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)

    fixture = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "regnet": {name: regnet_entry(name) for name in REGNETS},
        "mobilenet_v3_large": {str(w): mobilenet_entry(w) for w in MOBILENET_WIDTHS},
        "mobilenet_split": MOBILENET_SPLIT,
    }
    path = os.path.join(args.out, "torchvision_backbones.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")

    torch.manual_seed(1)
    params = regnet.BlockParams.from_init_params(**TINY)
    tiny = regnet.RegNet(params, num_classes=10,
                         norm_layer=lambda c: nn.BatchNorm2d(c, eps=1e-05, momentum=0.1))
    randomize(tiny, 1, [m.f.c[1] for s in tiny.trunk_output for m in s]
              + [m.proj[1] for s in tiny.trunk_output for m in s if m.proj is not None])
    write_parity(os.path.join(args.out, "regnet_y_tiny.safetensors"), tiny, regnet_parts,
                 [(n, n) for n in ["stem", "block1", "block2", "block3", "block4"]],
                 {"family": "regnet", **TINY, "num_classes": 10, "depths": params.depths, "widths": params.widths,
                  "group_widths": params.group_widths})

    torch.manual_seed(2)
    mob = mobilenetv3.mobilenet_v3_large(width_mult=0.5, num_classes=10)
    randomize(mob, 2, [b.block[-1][1] for b in mob.features if isinstance(b, mobilenetv3.InvertedResidual)])
    write_parity(os.path.join(args.out, "mobilenet_v3_large_0x5.safetensors"), mob, mobilenet_parts,
                 [(f"features{a}_{b}", str(b - 1)) for a, b in MOBILENET_SPLIT],
                 {"family": "mobilenet_v3_large", "width_mult": 0.5, "num_classes": 10})


if __name__ == "__main__":
    main()
