using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick --attention`: the transformer-block ops at the bench models' shapes (vit: 50 tokens, 3 heads of 64;
/// dp: 16 latents × 49 context tokens, 4 heads of 32) — fused attention (<see cref="F.PackedAttention"/>) against
/// the permute/narrow/sdpa/transpose path it replaced and the reference twin, forward and forward+backward, then
/// the memory-bound ops (LayerNorm, GELU, residual add) in GB/s. Timed with <see cref="QuickBench.Time"/>
/// inside a <see cref="TensorMemory.Step"/> per call, as a training or inference step runs; CPU-time figures.
/// </summary>
public static class AttentionQuickBench
{
    /// <summary>Runs the table; `--threads N` sets the kernel threads.</summary>
    public static void Run(string[] args)
    {
        int ti = Array.IndexOf(args, "--threads");
        if (ti >= 0)
        {
            Parallelism.Threads = int.Parse(args[ti + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        Console.WriteLine($"threads {Parallelism.Threads}; GFLOP/s and GB/s by process CPU time (wall in brackets)");
        Console.WriteLine($"{"attention (B, Lq, Lk, H, D)",-34} {"fused f",12} {"gemm f",12} {"old f",12} {"fused f+b",12} {"old f+b",12} {"ref f",8}");
        foreach (var (b, lq, lk, h, d) in new[] { (1, 50, 50, 3, 64), (64, 50, 50, 3, 64), (64, 16, 49, 4, 32), (64, 65, 65, 3, 64) })
        {
            Attention(b, lq, lk, h, d);
        }

        Console.WriteLine($"{"one head's kernel (Lq, Lk, D)",-34} {"avx512 µs",12} {"gemm µs",12} {"GFLOP/s",12}");
        foreach (var (lq, lk, d) in new[] { (50, 50, 64), (65, 65, 64), (16, 49, 32), (65, 65, 16) })
        {
            Kernel(lq, lk, d);
        }

        Console.WriteLine($"{"memory-bound op (elements)",-34} {"GB/s fwd",12} {"GB/s f+b",12}");
        foreach (int rows in new[] { 50, 3200 })
        {
            MemoryBound(rows, 192);
        }
    }

    private static void Attention(int b, int lq, int lk, int h, int d)
    {
        int c = h * d;
        var rng = new Rng(1);
        var q = Tensor.Randn(rng, [b, lq, c]);
        var kv = Tensor.Randn(rng, [b, lk, 2 * c]);
        double flops = 4.0 * b * h * lq * lk * d;
        Tensor Fused(Tensor qt, Tensor kvt) => F.PackedAttention(qt, 0, kvt, 0, kvt, c, h, d);
        Tensor Old(Tensor qt, Tensor kvt)
        {
            var qh = qt.Reshape(b, lq, h, d).Transpose(1, 2);
            var heads = kvt.Reshape(b, lk, 2, h, d).Permute(2, 0, 3, 1, 4);
            var kh = heads.Narrow(0, 0, 1).Reshape(b, h, lk, d);
            var vh = heads.Narrow(0, 1, 1).Reshape(b, h, lk, d);
            return F.ScaledDotProductAttention(qh, kh, vh).Transpose(1, 2).Reshape(b, lq, c);
        }

        string Fwd(Func<Tensor, Tensor, Tensor> f, double work)
        {
            using var noGrad = Autograd.NoGrad();
            var t = QuickBench.Time(() => { using var s = TensorMemory.Step(); f(q, kv); }, 0.3);
            return $"{work / t.Cpu / 1e9,5:F1} [{work / t.Wall / 1e9,4:F0}]";
        }

        // The fused attention with the general GEMM path instead of the AVX-512 kernel (AttentionAvx512).
        string FwdGemm()
        {
            using var gemmPath = Engine.Kernels.AttentionAvx512.Disable();
            return Fwd(Fused, flops);
        }

        string FwdBwd(Func<Tensor, Tensor, Tensor> f, double work)
        {
            var t = QuickBench.Time(() =>
            {
                using var s = TensorMemory.Step();
                var qg = q.Detach().WithGrad();
                var kvg = kv.Detach().WithGrad();
                f(qg, kvg).Sum().Backward();
            }, 0.3);
            return $"{work / t.Cpu / 1e9,5:F1} [{work / t.Wall / 1e9,4:F0}]";
        }

        // Reference twin: one head (contiguous copies), scaled to all heads.
        var qd = new float[lq * d];
        var kd = new float[lk * d];
        var vd = new float[lk * d];
        var p = new float[lq * lk];
        var o = new float[lq * d];
        var r = QuickBench.Time(() => AttentionReference.Forward<float>(qd, kd, vd, [], 0, 0, 0, [], p, o, lq, lk, d, d, 1f), 0.1);
        Console.WriteLine($"{$"({b}, {lq}, {lk}, {h}, {d})",-34} {Fwd(Fused, flops),12} {FwdGemm(),12} {Fwd(Old, flops),12} " +
            $"{FwdBwd(Fused, 3 * flops),12} {FwdBwd(Old, 3 * flops),12} {flops / (b * h) / r.Cpu / 1e9,8:F2}");
    }

    // Kernels.Attention.Forward on one head (single thread, contiguous operands): the AVX-512 kernel against the
    // general GEMM path.
    private static void Kernel(int lq, int lk, int d)
    {
        var q = KernelData(1, lq * d);
        var k = KernelData(2, lk * d);
        var v = KernelData(3, lk * d);
        var p = new float[lq * lk];
        var o = new float[lq * d];
        float scale = 1 / MathF.Sqrt(d);
        void Run() => Engine.Kernels.Attention.Forward<float>(q, k, v, [], 0, 0, 0, [], p, o, lq, lk, d, d, scale);
        var fast = QuickBench.Time(Run, 0.2);
        QuickBench.Timing gemm;
        using (Engine.Kernels.AttentionAvx512.Disable())
        {
            gemm = QuickBench.Time(Run, 0.2);
        }

        double flops = 4.0 * lq * lk * d;
        Console.WriteLine($"{$"({lq}, {lk}, {d})",-34} {fast.Cpu * 1e6,12:F2} {gemm.Cpu * 1e6,12:F2} {flops / fast.Cpu / 1e9,12:F1}");
    }

    private static float[] KernelData(int seed, int n)
    {
        var rng = new Rng((ulong)seed);
        return Tensor.Randn(rng, [n]).Data<float>().ToArray();
    }

    private static void MemoryBound(int rows, int d)
    {
        var rng = new Rng(2);
        var x = Tensor.Randn(rng, [rows, d]);
        var h = Tensor.Randn(rng, [rows, 4 * d]);
        var w = Tensor.Randn(rng, [d]);
        var bias = Tensor.Randn(rng, [d]);
        double lnBytes = 2.0 * 4 * rows * d, geluBytes = 2.0 * 4 * rows * 4 * d, addBytes = 3.0 * 4 * rows * d;
        Row($"layer_norm ({rows}, {d})", lnBytes, () => F.LayerNorm(x, [d], w, bias), t => F.LayerNorm(t, [d], w, bias), x);
        Row($"gelu ({rows}, {4 * d})", geluBytes, () => h.Gelu(), t => t.Gelu(), h);
        Row($"add ({rows}, {d})", addBytes, () => x.Add(x), t => t.Add(t), x);
    }

    private static void Row(string name, double bytes, Func<Tensor> fwd, Func<Tensor, Tensor> f, Tensor input)
    {
        QuickBench.Timing tf;
        using (Autograd.NoGrad())
        {
            tf = QuickBench.Time(() => { using var s = TensorMemory.Step(); fwd(); }, 0.3);
        }

        var tb = QuickBench.Time(() =>
        {
            using var s = TensorMemory.Step();
            var t = input.Detach().WithGrad();
            f(t).Backward(Tensor.Ones(input.Shape));
        }, 0.3);
        Console.WriteLine($"{name,-34} {bytes / tf.Cpu / 1e9,5:F1} [{bytes / tf.Wall / 1e9,4:F0}] {3 * bytes / tb.Cpu / 1e9,5:F1} [{3 * bytes / tb.Wall / 1e9,4:F0}]");
    }
}
