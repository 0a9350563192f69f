#!/usr/bin/env python3
"""Converts an official Dynamic Perceiver checkpoint (LeapLabTHU/Dynamic_Perceiver, a torch .pth) to safetensors that
Offramp's DynamicPerceiver loads with a strict LoadStateDict.

    /usr/bin/python3 tools/convert_dp_checkpoint.py CHECKPOINT.pth OUT.safetensors [--ema] [--key KEY]

The official training loop saves {"model": state_dict, "model_ema": state_dict, "optimizer": ..., "epoch": ...}; the
state dict under "model" is taken by default, "model_ema" with --ema (timm's ModelEma keeps the same keys), or any
key with --key. A bare state dict (a mapping of tensors) is also accepted. A leading "module." (DataParallel /
DistributedDataParallel) is removed from every key. Floating tensors are written as float32, integer buffers
(BatchNorm's num_batches_tracked) as int64; the key names are kept as they are, because Offramp's module tree mirrors
the official one. The file's metadata records the source and the state-dict key taken.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_fixtures import save_file  # noqa: E402  (the one Python safetensors writer of this repo)


def extract_state_dict(checkpoint, key=None):
    """Returns (state_dict, key taken) from a loaded checkpoint."""
    if key is not None:
        if not isinstance(checkpoint, dict) or key not in checkpoint:
            found = sorted(checkpoint.keys()) if isinstance(checkpoint, dict) else type(checkpoint).__name__
            raise SystemExit(f"convert_dp_checkpoint: no '{key}' in the checkpoint (found {found})")
        return checkpoint[key], key
    if isinstance(checkpoint, dict) and all(torch.is_tensor(v) for v in checkpoint.values()):
        return checkpoint, "(state dict)"
    for k in ("model", "state_dict"):
        if isinstance(checkpoint, dict) and k in checkpoint:
            return checkpoint[k], k
    raise SystemExit("convert_dp_checkpoint: the file holds neither a state dict nor a 'model' entry")


def convert(state_dict):
    out = {}
    for name, t in state_dict.items():
        if not torch.is_tensor(t):
            raise SystemExit(f"convert_dp_checkpoint: entry '{name}' is a {type(t).__name__}, not a tensor")
        if name.startswith("module."):
            name = name[len("module."):]
        if name in out:
            raise SystemExit(f"convert_dp_checkpoint: duplicate key '{name}' after removing 'module.'")
        t = t.detach().cpu().contiguous()
        out[name] = t.to(torch.int64) if not t.is_floating_point() else t.to(torch.float32)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--ema", action="store_true", help="take the 'model_ema' weights")
    ap.add_argument("--key", help="take the state dict under this key")
    args = ap.parse_args(argv)
    checkpoint = torch.load(args.checkpoint, map_location="cpu")
    sd, taken = extract_state_dict(checkpoint, "model_ema" if args.ema else args.key)
    tensors = convert(sd)
    tmp = args.out + ".tmp"
    save_file(tensors, tmp, {"source": os.path.basename(args.checkpoint), "state_dict": taken})
    os.replace(tmp, args.out)
    print(f"{args.out}: {len(tensors)} tensors from '{taken}'")


if __name__ == "__main__":
    main()
