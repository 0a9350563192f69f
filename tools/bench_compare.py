#!/usr/bin/env python3
"""Compare `offramp bench --out` with `torch_bench.py models --out` figure by figure.

  /usr/bin/python3 tools/bench_compare.py torch.json offramp.json

For every (model, input) present in both files prints each figure of the peer table for both engines and the
ratio Offramp / PyTorch as a speed ratio: > 1 means Offramp is faster (for latencies the ratio is
torch_ms / offramp_ms, for throughputs offramp_img_s / torch_img_s). Parameter and MAC counts must agree; a
mismatch is flagged, since then the two sides did not time the same model. Uses only the standard library.
"""
import json
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    return {(r["model"], r["input"]): r for r in data["results"]}, data.get("env", {})


def figures(r):
    """(label, JSON key, value, higher_is_better) for the peer table's figures."""
    n = r["exits"]
    out = [(f"b1 exit{k} ms", f"lat_b1_exit{k}", r[f"lat_b1_exit{k}"]["median_s"] * 1e3, False)
           for k in range(1, n + 1)]
    for label, key in (("b64 img/s", "thr_b64_full"), ("b64 exit1 img/s", "thr_b64_exit1"),
                       ("b256 img/s", "thr_b256_full"), ("train b128 img/s", "train_b128")):
        out.append((label, key, r[key]["imgs_per_s"], True))
    return out


def probe(r, key):
    v = r.get(key, {}).get("probe_ghz")
    return "" if v is None else f"{v:.2f}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    torch_res, torch_env = load(sys.argv[1])
    off_res, off_env = load(sys.argv[2])
    print(f"# torch {torch_env.get('torch', '?')} threads={torch_env.get('threads', '?')} "
          f"blas={[p.rsplit('/', 1)[-1] for p in torch_env.get('blas_libs_mapped', [])]}")
    print(f"# offramp {off_env.get('offramp', '?')} .NET {off_env.get('dotnet', '?')} threads={off_env.get('threads', '?')}")
    print("| model | input | figure | PyTorch | Offramp | Offramp speed / PyTorch | probe GHz torch / offramp |")
    print("|---|---|---|---|---|---|---|")
    worst = []
    for key in torch_res:
        if key not in off_res:
            continue
        t, o = torch_res[key], off_res[key]
        for name in ("params_total", "params_upto_exit", "macs_upto_exit"):
            if t[name] != o[name]:
                print(f"| {key[0]} | {key[1]} | **{name} differ** | {t[name]} | {o[name]} | | |")
        for (label, jkey, tv, up), (_, _, ov, _) in zip(figures(t), figures(o)):
            ratio = ov / tv if up else tv / ov
            worst.append((ratio, key, label))
            print(f"| {key[0]} | {key[1]} | {label} | {tv:.2f} | {ov:.2f} | {ratio:.2f}× | "
                  f"{probe(t, jkey)} / {probe(o, jkey)} |")
        tr = o["train_b128"]
        if "alloc_bytes_per_run" in tr:
            print(f"| {key[0]} | {key[1]} | offramp train alloc/step, GC pause/step | | "
                  f"{tr['alloc_bytes_per_run'] / 1e6:.2f} MB, {tr['gc_pause_s'] / tr['runs'] * 1e3:.2f} ms | | |")
    if worst:
        worst.sort()
        r, key, label = worst[0]
        print(f"\nlargest gap: {key[0]}/{key[1]} {label}: Offramp at {r:.2f}× PyTorch's speed")


if __name__ == "__main__":
    main()
