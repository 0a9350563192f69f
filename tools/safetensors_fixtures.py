#!/usr/bin/env python3
"""Generates the safetensors interop fixtures in tests/Offramp.Engine.Tests/Fixtures/safetensors/ with PyTorch.

Run from the repository root with Debian's PyTorch:  /usr/bin/python3 tools/safetensors_fixtures.py
The output is deterministic (fixed seeds, no timestamps): rerunning must reproduce the committed bytes.

The machine has no `safetensors` Python package, so `save_file` below writes the format itself, following the
layout of the official writer (huggingface/safetensors, safetensors/src/tensor.rs, `prepare` + `serialize`):
  * tensors sorted by dtype, descending in the order of the Rust `Dtype` enum (I64 > F64 > F32 > BF16 > F16 ...),
    then by name (byte order of UTF-8, which is code-point order: Python's str order);
  * data laid out in that order, contiguously, raw little-endian bytes of the C-contiguous tensor;
  * header = compact serde_json: `__metadata__` first (if given), then one
    `"name":{"dtype":..,"shape":[..],"data_offsets":[begin,end]}` per tensor in the same order; strings escape
    only '"', '\\' and control characters (\\b \\f \\n \\r \\t, others \\u00xx), like json.dumps(ensure_ascii=False);
  * header padded with spaces to a multiple of 8 bytes; 8-byte little-endian header length first.

Each `<name>.safetensors` has a sidecar `<name>.expected.json` with values computed by torch: per tensor the dtype,
shape, the float32 (or float64) bit patterns of torch's own widening (`t.float()`), int64 values, the float64 sum
of the finite elements, and for F16/BF16 tensors made from float32 the source bits (to check our narrowing).
"""
import json
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Offramp.Engine.Tests", "Fixtures",
                   "safetensors")

# Rust `Dtype` enum order (increasing alignment); the writer sorts by it, descending.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64",
               "I64", "U64"]
TORCH_TO_ST = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
               torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
               torch.bool: "BOOL"}


def raw_bytes(t):
    """The tensor's elements as little-endian bytes, row-major."""
    assert sys.byteorder == "little"
    return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def save_file(tensors, path, metadata=None):
    """safetensors.torch.save_file, reimplemented from the official writer's layout rules (see module doc)."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(TORCH_TO_ST[kv[1].dtype]), kv[0]))
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name, t in items:
        b = raw_bytes(t)
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    return [name for name, _ in items]


def bits(t, int_dtype, mask):
    return [v & mask for v in t.detach().contiguous().reshape(-1).view(int_dtype).tolist()]


def expected(t, source=None):
    st = TORCH_TO_ST[t.dtype]
    e = {"dtype": st, "shape": list(t.shape)}
    if st == "I64":
        e["i64"] = t.reshape(-1).tolist()
        return e
    if st == "F64":
        e["f64_bits"] = bits(t, torch.int64, 0xFFFFFFFFFFFFFFFF)
    else:
        e["f32_bits"] = bits(t.float(), torch.int32, 0xFFFFFFFF)  # torch's own F16/BF16 -> float32 widening
    d = t.double()
    e["finite_sum"] = d[torch.isfinite(d)].sum().item()
    if source is not None:
        e["source_f32_bits"] = bits(source, torch.int32, 0xFFFFFFFF)
    return e


def from_bits32(values):
    return torch.tensor([v - (1 << 32) if v >= 1 << 31 else v for v in values], dtype=torch.int32).view(torch.float32)


def from_bits16(values, dtype):
    return torch.tensor([v - (1 << 16) if v >= 1 << 15 else v for v in values], dtype=torch.int16).view(dtype)


def write(name, tensors, metadata=None, sources=None, extra=None):
    sources = sources or {}
    order = save_file(tensors, os.path.join(OUT, name + ".safetensors"), metadata)
    side = {"generator": "tools/safetensors_fixtures.py", "torch": torch.__version__, "metadata": metadata,
            "order": order, "tensors": {n: expected(t, sources.get(n)) for n, t in tensors.items()}}
    if extra:
        side.update(extra)
    with open(os.path.join(OUT, name + ".expected.json"), "w", encoding="utf-8") as f:
        json.dump(side, f, indent=1, sort_keys=True)
        f.write("\n")


def f32_specials():
    specials = from_bits32([0x7FC00000, 0x7FC00001, 0xFFC12345, 0x7F800001,  # NaNs: quiet, payloads, signalling
                            0x80000000, 0x00000000, 0x00000001, 0x807FFFFF,  # -0, +0, subnormals
                            0x7F800000, 0xFF800000, 0x7F7FFFFF, 0x00800000]).reshape(3, 4)
    write("f32_specials", {
        "specials": specials,
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
        "ramp": torch.arange(12, dtype=torch.float32).reshape(2, 3, 2) / 7 - 0.5,
    }, metadata={"format": "pt"})


def mixed_dtypes():
    g = torch.Generator().manual_seed(1)
    half_src = torch.tensor([1.0, -2.5, 65504.0, 65520.0, 1e-8, 6e-8, 1 / 3, -0.0, 0.1, 1e-5,
                             2049.0, 2051.0, -7e-6, 3e-8, 65519.0, float("inf")]).reshape(2, 8)
    bf16_src = torch.cat([torch.tensor([1.0, -3.14159, 1e38, 3.4e38, 1e-40, -0.0, 1.00390625, 1.01171875]),
                          torch.randn(8, generator=g)]).reshape(4, 4)
    write("mixed_dtypes", {
        "a_half": half_src.half(),
        "a_half_bits": from_bits16([0x7E01, 0x7C01, 0xFC01, 0x0001, 0x03FF, 0x8001, 0x7BFF, 0xFBFF], torch.float16),
        "b_bf16": bf16_src.bfloat16(),
        "b_bf16_bits": from_bits16([0x7F81, 0x7FC1, 0xFF81, 0x0001, 0x8000, 0x7F7F], torch.bfloat16),
        "c_double": torch.tensor([3.141592653589793, -0.0, 5e-324, 1e308], dtype=torch.float64),
        "c_double_nan": torch.tensor([0x7FF8000000000123, -0x0008000000000001], dtype=torch.int64).view(torch.float64),
        "d_long": torch.tensor([0, -1, 2 ** 63 - 1, -2 ** 63, 123456789012]),
        "d_long_scalar": torch.tensor(7),
        "e_float": torch.randn(2, 3, generator=g),
    }, sources={"a_half": half_src, "b_bf16": bf16_src})


def state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(8, 3), torch.nn.BatchNorm1d(3))
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 1, 4, 4))  # one training step of the BatchNorm statistics: num_batches_tracked = 1
    model.eval()
    x = torch.randn(2, 1, 4, 4)
    with torch.no_grad():
        y = model(x)
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    write("state_dict", sd, extra={
        "model": "Sequential(Conv2d(1, 2, 3), BatchNorm2d(2), ReLU(), Flatten(), Linear(8, 3), BatchNorm1d(3))",
        "eval_input": {"shape": list(x.shape), "f32_bits": bits(x, torch.int32, 0xFFFFFFFF)},
        "eval_output": {"shape": list(y.shape), "f32_bits": bits(y, torch.int32, 0xFFFFFFFF)},
    })


def names():
    weird = ["plain", "quote\"inside", "back\\slash", "tab\there", "new\nline", "ctl\x01\x1f", "del\x7f",
             "slash/ok", "\u00fcn\u00efcode", "\uff0bfullwidth", "\U0001F600emoji", "", "layer1.0.conv1.weight"]
    tensors = {n: torch.tensor([float(i)]) for i, n in enumerate(weird)}
    write("names", tensors, metadata={"note": "tab\there \"q\" \u00fc\n"})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    f32_specials()
    mixed_dtypes()
    state_dict()
    names()
    for f in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, f)):6d}  {f}")
