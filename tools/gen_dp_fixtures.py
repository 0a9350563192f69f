#!/usr/bin/env python3
"""Writes the Dynamic Perceiver parity fixtures in tests/Offramp.Tests/Fixtures/dp/.

    /usr/bin/python3 tools/gen_dp_fixtures.py

For each case, a small model of tools/dp_reference.py gets fixed random weights (every parameter and BatchNorm
statistic perturbed, so no zero-initialised bias or unit norm hides a wiring error), is saved as an official-style
checkpoint {"model": state_dict} to a temporary .pth, and converted with tools/convert_dp_checkpoint.py to
  <case>.params.safetensors   the state dict under the official names (loaded strictly by the C# test)
and the eval-mode forward is written to
  <case>.io.safetensors       input (N, C, H, W) and logits.0..3 (y_early3, y_att, y_cnn, y_merge),
                              metadata "case" = the model's arguments as JSON.
Seeds are fixed (torch.manual_seed per case); the output is deterministic.
"""
import json
import os
import sys
import tempfile

import torch
from torchvision.models import mobilenet_v3_large, regnet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_dp_checkpoint  # noqa: E402
from dp_reference import BasicBlock, Bottleneck, DynPerceiver  # noqa: E402
from safetensors_fixtures import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Offramp.Tests", "Fixtures", "dp")

FLAGS_OFF = dict(with_x2z=False, with_z2x=False, with_dwc=False, with_last_ca=False, with_isc=False,
                 spatial_reduction=False)

CASES = [
    # name, block, depths, width, input shape, classes, latents, flags
    ("resnet10_all", "basic", [1, 1, 1, 1], 0.125, [3, 32, 32], 10, 16, {}),
    ("resnet10_off", "basic", [1, 1, 1, 1], 0.125, [3, 32, 32], 10, 16, FLAGS_OFF),
    ("bottleneck_28", "bottleneck", [1, 1, 1, 1], 0.03125, [1, 28, 28], 7, 32, dict(depth_factor=[1, 1, 1, 2])),
    # torchvision backbones at 64x64 (their standard strides): a tiny RegNetY (tools/torchvision_backbones.py's TINY)
    # and MobileNetV3-Large x0.25.
    ("regnet_tiny_64", "regnet", None, 1.0, [3, 64, 64], 10, 16, dict(sa_widening=1)),
    ("mobilenet_025_64", "mobilenet", None, 0.25, [3, 64, 64], 10, 16, dict(sa_widening=1)),
]

REGNET_TINY = dict(depth=8, w_0=16, w_a=12.7, w_m=2.1, group_width=24, se_ratio=0.25)


def build(block, depths, width, shape, classes, latents, flags):
    if block == "regnet":
        cnn = regnet.RegNet(regnet.BlockParams.from_init_params(**REGNET_TINY), num_classes=classes)
        return DynPerceiver(None, None, width, shape, classes, num_latents=latents, backbone="regnet", cnn=cnn,
                            **flags)
    if block == "mobilenet":
        cnn = mobilenet_v3_large(width_mult=width, num_classes=classes)
        return DynPerceiver(None, None, width, shape, classes, num_latents=latents, backbone="mobilenet", cnn=cnn,
                            **flags)
    return DynPerceiver(BasicBlock if block == "basic" else Bottleneck, depths, width, shape, classes,
                        num_latents=latents, **flags)


def perturb(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 1:  # LayerNorm / BatchNorm scales
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias") or "relative_position_bias" in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif name == "latent":
                p.copy_(torch.randn(p.shape, generator=gen))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.2 * torch.randn(b.shape, generator=gen))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=gen))
            elif name.endswith("num_batches_tracked"):
                b.fill_(3)


def main():
    os.makedirs(OUT, exist_ok=True)
    for index, (name, block, depths, width, shape, classes, latents, flags) in enumerate(CASES):
        torch.manual_seed(index)
        gen = torch.Generator().manual_seed(1000 + index)
        model = build(block, depths, width, shape, classes, latents, flags)
        perturb(model, gen)
        model.eval()
        x = torch.randn([5] + shape, generator=gen)
        with torch.no_grad():
            logits = model(x)

        with tempfile.TemporaryDirectory() as tmp:
            pth = os.path.join(tmp, name + ".pth")
            torch.save({"model": model.state_dict(), "epoch": 0}, pth)
            convert_dp_checkpoint.main([pth, os.path.join(OUT, name + ".params.safetensors")])

        spec = dict(block=block, depths=depths, width=width, input_shape=shape, num_classes=classes,
                    num_latents=latents, **flags)
        tensors = {"input": x}
        tensors.update({f"logits.{k}": y for k, y in enumerate(logits)})
        tmp = os.path.join(OUT, name + ".io.safetensors.tmp")
        save_file({k: v.contiguous() for k, v in tensors.items()}, tmp, {"case": json.dumps(spec, sort_keys=True)})
        os.replace(tmp, os.path.join(OUT, name + ".io.safetensors"))
        n = sum(p.numel() for p in model.parameters())
        print(f"{name}: {n} parameters, logits {[tuple(y.shape) for y in logits]}, "
              f"|y_merge| max {logits[3].abs().max().item():.3f}")


if __name__ == "__main__":
    main()
