#!/usr/bin/env python3
"""Writes PyTorch parity fixtures for every Offramp layer and loss.

Run with Debian's PyTorch (a tool for developers, never a runtime dependency of Offramp):
    /usr/bin/python3 tools/gen_parity_fixtures.py [--out tests/Offramp.Engine.Tests/Fixtures/parity]

Each case is one small safetensors file holding
    input.<i>            the inputs (float32; integer targets are stored as float32 values)
    param.<name>         the module's state_dict entries under PyTorch's names (before the forward pass)
    output               the forward result
    grad_output          the seed of the backward pass: loss = (output * grad_output).sum()
    grad.input.<i>       gradients of the inputs (only for inputs that require grad)
    grad.param.<name>    gradients of the parameters
    state.<name>         state_dict entries after the forward pass (BatchNorm running stats)
and a "__metadata__" with "case" (the layer and its arguments as JSON) so the C# test can build the same
module. Values come from torch.manual_seed(0 + case index); the files are deterministic.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_fixtures import save_file  # noqa: E402  (the one Python safetensors writer of this repo)


def write_safetensors(path, tensors, metadata):
    """Writes atomically (temp file, then rename) with the official writer's layout."""
    tmp = path + ".tmp"
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, tmp, metadata)
    os.replace(tmp, path)


class TimmAttention(nn.Module):
    """timm.models.vision_transformer.Attention: packed qkv, heads, proj."""

    def __init__(self, dim, num_heads, qkv_bias):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class SeparateAttention(nn.Module):
    """Cross-attention with separate q, k, v projections (queries from x, keys/values from context)."""

    def __init__(self, dim, num_heads, kdim, qkv_bias):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(kdim, dim, bias=qkv_bias)
        self.v = nn.Linear(kdim, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, context):
        b, n, c = x.shape
        m = context.shape[1]
        q = self.q(x).reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k(context).reshape(b, m, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v(context).reshape(b, m, self.num_heads, self.head_dim).transpose(1, 2)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    """timm.layers.Mlp: fc1, act, drop1, fc2, drop2."""

    def __init__(self, dim, hidden, out):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(0.0)
        self.fc2 = nn.Linear(hidden, out)
        self.drop2 = nn.Dropout(0.0)

    def forward(self, x):
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


def module_cases():
    """(name, spec for the C# builder, module factory, input shapes, train mode)."""
    c = []
    c.append(("linear", {"type": "Linear", "in": 7, "out": 5, "bias": True}, lambda: nn.Linear(7, 5), [(3, 7)], True))
    c.append(("linear_nobias_3d", {"type": "Linear", "in": 6, "out": 4, "bias": False}, lambda: nn.Linear(6, 4, bias=False), [(2, 3, 6)], True))
    convs = [
        ("conv_basic", dict(cin=3, cout=4, k=3, stride=1, padding=1, dilation=1, groups=1, bias=True), (2, 3, 7, 6)),
        ("conv_stride2_nobias", dict(cin=4, cout=6, k=3, stride=2, padding=1, dilation=1, groups=1, bias=False), (2, 4, 9, 9)),
        ("conv_dilated", dict(cin=2, cout=3, k=3, stride=1, padding=2, dilation=2, groups=1, bias=True), (1, 2, 8, 7)),
        ("conv_groups", dict(cin=4, cout=6, k=3, stride=1, padding=0, dilation=1, groups=2, bias=True), (2, 4, 6, 6)),
        ("conv_depthwise", dict(cin=5, cout=5, k=3, stride=2, padding=1, dilation=1, groups=5, bias=True), (2, 5, 8, 8)),
        ("conv_1x1", dict(cin=6, cout=3, k=1, stride=1, padding=0, dilation=1, groups=1, bias=True), (3, 6, 4, 5)),
        ("conv_7x7_s2", dict(cin=1, cout=4, k=7, stride=2, padding=3, dilation=1, groups=1, bias=False), (2, 1, 15, 15)),
    ]
    for name, a, shape in convs:
        spec = {"type": "Conv2d", **a}
        c.append((name, spec, (lambda a=a: nn.Conv2d(a["cin"], a["cout"], a["k"], a["stride"], a["padding"], a["dilation"], a["groups"], a["bias"])), [shape], True))
    for train in (True, False):
        tag = "train" if train else "eval"
        c.append((f"batchnorm1d_{tag}", {"type": "BatchNorm1d", "features": 5}, lambda: nn.BatchNorm1d(5), [(6, 5)], train))
        c.append((f"batchnorm2d_{tag}", {"type": "BatchNorm2d", "features": 3}, lambda: nn.BatchNorm2d(3), [(4, 3, 5, 5)], train))
    c.append(("layernorm", {"type": "LayerNorm", "shape": [8]}, lambda: nn.LayerNorm(8), [(3, 4, 8)], True))
    c.append(("layernorm_2d", {"type": "LayerNorm", "shape": [3, 4]}, lambda: nn.LayerNorm([3, 4]), [(2, 3, 4)], True))
    acts = [("relu", "ReLU", nn.ReLU), ("gelu", "GELU", nn.GELU), ("gelu_tanh", "GELU_tanh", lambda: nn.GELU(approximate="tanh")),
            ("silu", "SiLU", nn.SiLU), ("sigmoid", "Sigmoid", nn.Sigmoid), ("tanh", "Tanh", nn.Tanh),
            ("hardswish", "Hardswish", nn.Hardswish), ("hardsigmoid", "Hardsigmoid", nn.Hardsigmoid), ("elu", "ELU", nn.ELU)]
    for name, t, f in acts:
        c.append((name, {"type": t}, f, [(4, 33)], True))
    c.append(("maxpool", {"type": "MaxPool2d", "k": 3, "stride": 2, "padding": 1}, lambda: nn.MaxPool2d(3, 2, 1), [(2, 3, 9, 8)], True))
    c.append(("avgpool", {"type": "AvgPool2d", "k": 2, "stride": 2, "padding": 0}, lambda: nn.AvgPool2d(2, 2), [(2, 3, 8, 6)], True))
    c.append(("avgpool_pad", {"type": "AvgPool2d", "k": 3, "stride": 2, "padding": 1}, lambda: nn.AvgPool2d(3, 2, 1), [(1, 2, 7, 7)], True))
    c.append(("adaptive_avg", {"type": "AdaptiveAvgPool2d", "out": [3, 2]}, lambda: nn.AdaptiveAvgPool2d((3, 2)), [(2, 3, 7, 5)], True))
    c.append(("adaptive_avg_1", {"type": "AdaptiveAvgPool2d", "out": [1, 1]}, lambda: nn.AdaptiveAvgPool2d(1), [(2, 4, 5, 5)], True))
    c.append(("adaptive_max", {"type": "AdaptiveMaxPool2d", "out": [2, 2]}, lambda: nn.AdaptiveMaxPool2d(2), [(2, 3, 5, 7)], True))
    c.append(("flatten", {"type": "Flatten"}, lambda: nn.Flatten(), [(2, 3, 4, 2)], True))
    c.append(("sequential", {"type": "Sequential", "children": [
        {"type": "Conv2d", "cin": 2, "cout": 4, "k": 3, "stride": 1, "padding": 1, "dilation": 1, "groups": 1, "bias": False},
        {"type": "BatchNorm2d", "features": 4}, {"type": "ReLU"}, {"type": "AdaptiveAvgPool2d", "out": [1, 1]},
        {"type": "Flatten"}, {"type": "Linear", "in": 4, "out": 3, "bias": True}]},
        lambda: nn.Sequential(nn.Conv2d(2, 4, 3, 1, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)),
        [(3, 2, 6, 6)], True))
    c.append(("mlp", {"type": "Mlp", "in": 8, "hidden": 16, "out": 8}, lambda: Mlp(8, 16, 8), [(2, 5, 8)], True))
    c.append(("attention_qkv", {"type": "Attention", "dim": 12, "heads": 3, "qkv_bias": True}, lambda: TimmAttention(12, 3, True), [(2, 5, 12)], True))
    c.append(("attention_separate", {"type": "SeparateAttention", "dim": 8, "heads": 2, "kdim": 6, "qkv_bias": False},
              lambda: SeparateAttention(8, 2, 6, False), [(2, 4, 8), (2, 7, 6)], True))
    return c


def run_module_case(i, name, spec, make, shapes, train, out):
    torch.manual_seed(1000 + i)
    m = make()
    # Non-trivial BatchNorm affine and running stats so eval mode tests more than the identity.
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
        if isinstance(mod, nn.LayerNorm):
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
    m.train(train)
    params_before = {k: v.clone() for k, v in m.state_dict().items()}
    inputs = [(torch.randn(*s) * 1.5).requires_grad_(True) for s in shapes]
    y = m(*inputs)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    t = {f"input.{j}": x.detach() for j, x in enumerate(inputs)}
    t.update({f"grad.input.{j}": x.grad for j, x in enumerate(inputs)})
    t.update({f"param.{k}": v for k, v in params_before.items()})
    t.update({f"state.{k}": v for k, v in m.state_dict().items()})
    t.update({f"grad.param.{k}": p.grad for k, p in m.named_parameters()})
    t["output"] = y.detach()
    t["grad_output"] = g
    spec = dict(spec, train=train)
    write_safetensors(os.path.join(out, f"{name}.safetensors"), t, {"case": json.dumps(spec), "torch": torch.__version__})


def loss_cases():
    """(name, spec, function of (inputs) -> scalar, input factories)."""
    n, k = 6, 5
    targets = torch.tensor([0, 3, 4, 1, 1, 2])
    soft = torch.softmax(torch.randn(n, k, generator=torch.Generator().manual_seed(7)), dim=1)
    c = [
        ("ce", {"type": "CrossEntropy", "smoothing": 0.0, "reduction": "mean"}, lambda x: F.cross_entropy(x[0], targets), [torch.randn(n, k) * 2], targets),
        ("ce_smooth", {"type": "CrossEntropy", "smoothing": 0.1, "reduction": "mean"}, lambda x: F.cross_entropy(x[0], targets, label_smoothing=0.1), [torch.randn(n, k) * 2], targets),
        ("ce_sum", {"type": "CrossEntropy", "smoothing": 0.0, "reduction": "sum"}, lambda x: F.cross_entropy(x[0], targets, reduction="sum"), [torch.randn(n, k) * 2], targets),
        ("ce_none", {"type": "CrossEntropy", "smoothing": 0.0, "reduction": "none"}, lambda x: F.cross_entropy(x[0], targets, reduction="none"), [torch.randn(n, k) * 2], targets),
        ("ce_soft", {"type": "CrossEntropySoft", "smoothing": 0.0, "reduction": "mean"}, lambda x: F.cross_entropy(x[0], soft), [torch.randn(n, k) * 2], soft),
        ("ce_soft_smooth", {"type": "CrossEntropySoft", "smoothing": 0.2, "reduction": "mean"}, lambda x: F.cross_entropy(x[0], soft, label_smoothing=0.2), [torch.randn(n, k) * 2], soft),
        # Self-distillation as the papers use it: KL(softmax(teacher/T) || softmax(student/T)) * T^2, batchmean.
        ("kl_distill_T2", {"type": "KlDistill", "T": 2.0}, lambda x: F.kl_div(F.log_softmax(x[0] / 2.0, dim=1), F.softmax(x[1] / 2.0, dim=1), reduction="batchmean") * 4.0,
         [torch.randn(n, k) * 2, torch.randn(n, k) * 2], None),
        ("kl_div_sum", {"type": "KlDiv", "reduction": "sum", "log_target": False}, lambda x: F.kl_div(x[0], x[1], reduction="sum"),
         [torch.log_softmax(torch.randn(n, k), 1), torch.softmax(torch.randn(n, k), 1)], None),
        ("mse", {"type": "MseLoss", "reduction": "mean"}, lambda x: F.mse_loss(x[0], x[1]), [torch.randn(4, 3), torch.randn(4, 3)], None),
        ("l1", {"type": "L1Loss", "reduction": "mean"}, lambda x: F.l1_loss(x[0], x[1]), [torch.randn(4, 3), torch.randn(4, 3)], None),
        ("softmax", {"type": "Softmax", "axis": 1}, lambda x: F.softmax(x[0], dim=1), [torch.randn(3, 7, 2)], None),
        ("log_softmax", {"type": "LogSoftmax", "axis": -1}, lambda x: F.log_softmax(x[0], dim=-1), [torch.randn(3, 7) * 3], None),
        ("sdpa_bias", {"type": "Sdpa", "bias": True},
         lambda x: torch.softmax(x[0] @ x[1].transpose(-2, -1) / math.sqrt(x[0].shape[-1]) + x[3], dim=-1) @ x[2],
         [torch.randn(2, 2, 3, 4), torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 6), torch.randn(1, 2, 1, 5)], None),
    ]
    return c


def run_loss_case(i, name, spec, f, inputs, target, out):
    torch.manual_seed(2000 + i)
    xs = [x.clone().requires_grad_(True) for x in inputs]
    y = f(xs)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    t = {f"input.{j}": x.detach() for j, x in enumerate(xs)}
    t.update({f"grad.input.{j}": x.grad for j, x in enumerate(xs)})
    if target is not None:
        t["target"] = target.to(torch.float32)
    t["output"] = y.detach()
    t["grad_output"] = g
    write_safetensors(os.path.join(out, f"{name}.safetensors"), t, {"case": json.dumps(spec), "torch": torch.__version__})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "Offramp.Engine.Tests", "Fixtures", "parity"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    names = []
    for i, case in enumerate(module_cases()):
        run_module_case(i, *case, a.out)
        names.append(case[0])
    torch.manual_seed(3)
    for i, case in enumerate(loss_cases()):
        run_loss_case(i, *case, a.out)
        names.append(case[0])
    print(f"wrote {len(names)} fixtures to {os.path.normpath(a.out)}")


if __name__ == "__main__":
    main()
