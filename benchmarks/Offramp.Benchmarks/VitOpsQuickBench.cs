using System.Diagnostics;
using System.Globalization;
using Offramp.Bench;
using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Inference;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick --vit-ops`: where the peer benchmark's <c>vit</c> spends an inference forward, op by op on one block's real
/// shapes (eval mode, no gradients): LayerNorm, the qkv Linear, packed attention, proj, the residual add, fc1, GELU,
/// fc2, and the whole block, with each GEMM's GFLOP/s. Options: `--threads N`, `--batch B` (64), `--input fm|c10`
/// (c10), `--reps R` (30).
/// </summary>
public static class VitOpsQuickBench
{
    private static int _reps;

    public static void Run(string[] args)
    {
        string Arg(string name, string dflt) => Array.IndexOf(args, name) is int i and >= 0 ? args[i + 1] : dflt;
        var inv = CultureInfo.InvariantCulture;
        Parallelism.Threads = int.Parse(Arg("--threads", Parallelism.Threads.ToString(inv)), inv);
        int n = int.Parse(Arg("--batch", "64"), inv);
        _reps = int.Parse(Arg("--reps", "30"), inv);
        var input = BenchInput.Parse(Arg("--input", "c10"));
        var model = new MultiExitViT(input, new Rng(0));
        model.Eval();
        using var noGrad = Autograd.NoGrad();
        int tokens = (input.Height / 4 * (input.Width / 4)) + 1, d = model.Dim;
        var x = Tensor.Randn(new Rng(1), [n, tokens, d]);
        var blk = model.Blocks[0];
        var ln = blk.N1.Forward(x);
        var qkv = blk.Attn.Qkv.Forward(ln);
        var o = F.PackedAttention(qkv, 0, qkv, d, qkv, 2 * d, blk.Attn.NumHeads, blk.Attn.HeadDim, null, 0, null);
        var h = blk.Mlp.Fc1.Forward(ln);
        var g = h.Gelu();
        long rows = (long)n * tokens;
        Console.WriteLine($"vit {input.Name}, batch {n} ({rows} token rows, width {d}), threads {Parallelism.Threads}; median ms");
        double total = 0;
        total += Op("layer_norm", () => blk.N1.Forward(x), 0);
        total += Op("qkv linear", () => blk.Attn.Qkv.Forward(ln), 2 * rows * d * 3 * d);
        total += Op("packed attention", () => F.PackedAttention(qkv, 0, qkv, d, qkv, 2 * d, blk.Attn.NumHeads, blk.Attn.HeadDim, null, 0, null),
            2L * 2 * n * tokens * tokens * d);
        total += Op("proj linear", () => blk.Attn.Proj.Forward(o), 2 * rows * d * d);
        total += Op("residual add", () => x.Add(x), 0);
        total += Op("layer_norm", () => blk.N2.Forward(x), 0);
        total += Op("fc1 linear", () => blk.Mlp.Fc1.Forward(ln), 2 * rows * d * 4 * d);
        total += Op("gelu", () => h.Gelu(), 0);
        total += Op("fc2 linear", () => blk.Mlp.Fc2.Forward(g), 2 * rows * 4 * d * d);
        total += Op("residual add", () => x.Add(x), 0);
        Console.WriteLine($"  {"sum of the ops",-18} {total,7:F3}");
        Op("whole block", () => blk.Forward(x), 2 * rows * 12 * d * d);
        var img = Tensor.Randn(new Rng(2), [n, input.Channels, input.Height, input.Width]);
        Op("patch embed conv", () => model.Patch.Forward(img), 2L * n * (tokens - 1) * d * input.Channels * 16);
        long macs = model.MacsPerExit()[^1];
        Op("whole model", () => model.ForwardExits(img).Last, 2L * n * macs);
        Op("first exit", () => model.ForwardExits(img, 1).Last, 2L * n * model.MacsPerExit()[0]);
    }

    private static double Op(string name, Func<Tensor> f, long flops)
    {
        var t = new List<double>();
        for (int r = 0; r < _reps + 3; r++)
        {
            using var step = TensorMemory.Step();
            var sw = Stopwatch.StartNew();
            f();
            if (r >= 3)
            {
                t.Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        double med = DynamicRunner.Median([.. t]);
        string rate = flops > 0 ? $"  {flops / med / 1e6,6:F1} GFLOP/s" : "";
        Console.WriteLine($"  {name,-18} {med,7:F3} (min {t.Min(),7:F3}){rate}");
        return med;
    }
}
