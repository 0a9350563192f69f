using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Offramp.Engine;
using Offramp.Engine.Kernels;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick`: times each shape for about half a second after a warm-up (best of 3 rounds) and prints GFLOP/s by
/// wall clock and by process CPU time, and the CPU-time figure as a share of one core's peak
/// (2 FMA ports × 16 lanes × 2 flops × GHz, GHz from a chain of dependent FMAs, 4-cycle latency, also timed by
/// CPU time). On a shared machine the wall-clock figure falls with the load; the CPU-time one measures the code.
/// Options: `--threads N`, `--gemm` / `--conv` (one part), `--kernel` (the GEMM micro-kernels on L1-resident panels),
/// `--conv-parts` (each convolution kernel of resnet_fm's training step; `--shape S` only names containing S,
/// `--forward-only`), `--batchnorm` (BatchNorm + ReLU, fused vs generic), `--conv-small` (the 7×7 stage's forward kernels at the
/// small batches that continue past an exit), `--winograd [--frozen]` (Winograd F(2×2, 3×3) against the path each 3×3
/// stride-1 convolution of the bench models takes without it).
/// </summary>
public static class QuickBench
{
    /// <summary>Seconds per call by wall clock and by CPU time of the whole process.</summary>
    public readonly record struct Timing(double Wall, double Cpu);

    public static void Run(string[] args)
    {
        int ti = Array.IndexOf(args, "--threads");
        if (ti >= 0)
        {
            Parallelism.Threads = int.Parse(args[ti + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        if (args.Contains("--conv-parts"))
        {
            ConvParts(Array.IndexOf(args, "--shape") is int si and >= 0 ? args[si + 1] : "", args.Contains("--forward-only"));
            return;
        }

        if (args.Contains("--conv-small"))
        {
            ConvSmallBatches();
            return;
        }

        if (args.Contains("--winograd"))
        {
            WinogradVsOthers(args.Contains("--frozen"), Array.IndexOf(args, "--shape") is int wi and >= 0 ? args[wi + 1] : "",
                Array.IndexOf(args, "--batch") is int bi and >= 0 ? int.Parse(args[bi + 1], System.Globalization.CultureInfo.InvariantCulture) : 0);
            return;
        }

        if (args.Contains("--batchnorm"))
        {
            BatchNormParts();
            return;
        }

        bool all = !args.Contains("--gemm") && !args.Contains("--conv") && !args.Contains("--kernel");
        double? ghz = CalibrateGHz();
        double? peak = ghz * 2 * 16 * 2;
        Console.WriteLine($"threads {Parallelism.Threads}, GEMM path {Gemm.Best}, load average {LoadAverage()}, " +
            (ghz is null ? "1-core peak n/a" : $"calibrated {ghz:F2} GHz → 1-core peak {peak:F0} GFLOP/s"));
        if (args.Contains("--kernel"))
        {
            MicroKernelPeak(peak);
            foreach (int k in new[] { 1, 3 })
            {
                var g = new ConvGeometry(1, 1, 28, 28, 1, k, k, (1, 1), (k / 2, k / 2), (1, 1), 1);
                var x = new float[28 * 28];
                var w = new float[k * k];
                var y = new float[28 * 28];
                var t = Time(() =>
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        ConvDepthwise.Forward(x, w, default, y, g);
                    }
                });
                Console.WriteLine($"depthwise {k}×{k} one 28×28 plane in L1: {t.Cpu * 1e6 / 1000:F2} µs/plane, {2.0 * 784 * k * k * 1000 / t.Cpu / 1e9:F1} GFLOP/s");
            }
        }

        if (all || args.Contains("--gemm"))
        {
            Console.WriteLine($"{"GEMM M×N×K op",-19} {"role",-30} {"wall GF/s",9} {"cpu GF/s",9} {"% peak",7} {"ref GF/s",9}");
            foreach (var s in Shapes.Gemm)
            {
                var st = new GemmState(s);
                var t = Time(st.Fast);
                string naive = s.Flops <= 1 << 28 ? $"{s.Flops / Time(st.Reference, 0.2).Cpu / 1e9:F2}" : "skipped";
                Console.WriteLine($"{s.Name,-19} {s.Role,-30} {s.Flops / t.Wall / 1e9,9:F1} {s.Flops / t.Cpu / 1e9,9:F1} {Pct(s.Flops / t.Cpu / 1e9, peak),7} {naive,9}");
            }
        }

        if (all || args.Contains("--conv"))
        {
            Console.WriteLine($"{"conv2d (f+b: 3× fwd flops)",-36} {"wall GF/s",9} {"cpu GF/s",9} {"% peak",7} {"f+b cpu",9} {"ref fwd",9}");
            foreach (var s in Shapes.Conv)
            {
                var st = new ConvState(s);
                var f = Time(st.Forward);
                var fb = Time(st.ForwardBackward);
                var r = Time(st.Reference, 0.2);
                double fc = s.Flops / f.Cpu / 1e9;
                Console.WriteLine($"{s.Name,-36} {s.Flops / f.Wall / 1e9,9:F1} {fc,9:F1} {Pct(fc, peak),7} {3 * s.Flops / fb.Cpu / 1e9,9:F1} {s.Flops / r.Cpu / 1e9,9:F2}");
            }
        }
    }

    // Each conv kernel alone (forward, input gradient, weight gradient) on the resnet_fm training shapes, batch 128.
    // --shape S keeps the shapes whose name contains S; --forward-only times the forward alone (for profilers).
    private static void ConvParts(string filter, bool forwardOnly)
    {
        Console.WriteLine("conv kernels, wall GF/s (cpu GF/s); (im2col), (col2im): the same under Conv.ForceIm2Col (the input gradient through col2im, not the turned-kernel forward)");
        Console.WriteLine($"{"",-32} {"forward",14} {"(im2col)",14} {"input grad",14} {"(col2im)",14} {"weight grad",14} {"(im2col)",14}");
        foreach (var s in Shapes.ConvTraining.Where(s => s.Name.Contains(filter, StringComparison.Ordinal)))
        {
            var st = new ConvState(s);
            if (forwardOnly)
            {
                Console.WriteLine($"{s.Name,-32} {Part(st.KernelForward),14}");
                continue;
            }

            string Part(Action a)
            {
                var t = Time(a);
                return $"{s.Flops / t.Wall / 1e9,6:F1} ({s.Flops / t.Cpu / 1e9,5:F1})";
            }

            string f = Part(st.KernelForward), ig = Part(st.KernelInputGrad), wg = Part(st.KernelWeightGrad), f0, ig0, wg0;
            using (Conv.ForceIm2Col())
            {
                (f0, ig0, wg0) = (Part(st.KernelForward), Part(st.KernelInputGrad), Part(st.KernelWeightGrad));
            }

            Console.WriteLine($"{s.Name,-32} {f,14} {f0,14} {ig,14} {ig0,14} {wg,14} {wg0,14}");
        }
    }

    // The forward kernel alone of every 3×3 stride-1 convolution shape of the bench models (cnn on 32² and 28², resnet_fm
    // and the DPs over it), with Winograd (at any channel count: Conv.WinogradAnyChannels) and without it (Conv.DisableWinograd: the direct kernel or im2col + GEMM), at
    // batches 1 to 256: µs per image by wall clock and the speed-up. --frozen: weights packed once (inference).
    // --shape S keeps the shapes whose name contains S, --batch B one batch size.
    private static void WinogradVsOthers(bool frozen, string filter, int batch)
    {
        Console.WriteLine($"threads {Parallelism.Threads}, load average {LoadAverage()}, weights {(frozen ? "packed once (FrozenWeights)" : "packed in every call")}");
        Console.WriteLine("conv forward kernel, µs per image: Winograd F(2x2,3x3) / without (direct or im2col+GEMM) = speed-up");
        int[] batches = batch > 0 ? [batch] : [1, 8, 64, 256];
        Console.WriteLine($"{"shape",-14} " + string.Join(" ", batches.Select(b => $"{"N" + b,24}")));
        var shapes = new[]
        {
            ("C32 32x32", 32, 32, 32), ("C64 16x16", 64, 16, 64), ("C128 8x8", 128, 8, 128),
            ("C32 28x28", 32, 28, 32), ("C64 14x14", 64, 14, 64), ("C128 7x7", 128, 7, 128),
            ("C32 14x14", 32, 14, 32), ("C64 7x7", 64, 7, 64), ("C96 7x7", 96, 7, 96),
        };
        foreach (var (name, c, h, o) in shapes.Where(s => s.Item1.Contains(filter, StringComparison.Ordinal)))
        {
            var cells = batches.Select(b =>
            {
                var st = new ConvState(new ConvShape(name, b, c, h, h, o, 3, 1, 1, 1));
                double Us(bool winograd)
                {
                    using var off = winograd ? Conv.WinogradAnyChannels() : Conv.DisableWinograd();
                    using var scope = frozen ? FrozenWeights.Freeze() : null;
                    return Time(frozen ? st.KernelForwardFrozen : st.KernelForward, 0.3).Wall * 1e6 / b;
                }

                double with = Us(true), without = Us(false);
                return $"{with,7:F1} /{without,7:F1} ={without / with,5:F2}";
            });
            Console.WriteLine($"{name,-14} " + string.Join(" ", cells));
        }
    }

    // The forward kernel alone (Conv.Forward, no allocation) of resnet_fm's 7×7-stage convolutions at the batch sizes
    // that continue past an exit in the dynamic runner: µs per image and wall GFLOP/s, against batch 64.
    private static void ConvSmallBatches()
    {
        Console.WriteLine($"threads {Parallelism.Threads}, load average {LoadAverage()}; conv forward kernel, µs per image (wall GFLOP/s)");
        int[] batches = [1, 2, 4, 6, 10, 16, 64];
        Console.WriteLine($"{"shape",-28} " + string.Join(" ", batches.Select(b => $"{"N" + b,15}")));
        var shapes = new[]
        {
            ("C1→16 3x3 28 (stem)", 1, 28, 16, 1), ("C32 3x3 14 (seg 0)", 32, 14, 32, 1),
            ("C32→96 3x3 s2 14 (seg 1)", 32, 14, 96, 2), ("C96 3x3 7 (seg 1, 2)", 96, 7, 96, 1),
        };
        foreach (bool frozen in new[] { false, true })
        {
            Console.WriteLine(frozen ? "weights packed once (FrozenWeights.Freeze)" : "weights packed in every call");
            using var scope = frozen ? FrozenWeights.Freeze() : null;
            foreach (var (name, c, h, o, stride) in shapes)
            {
                var cells = batches.Select(b =>
                {
                    var st = new ConvState(new ConvShape(name, b, c, h, h, o, 3, stride, 1, 1));
                    var t = Time(frozen ? st.KernelForwardFrozen : st.KernelForward, 0.3);
                    double flops = 2.0 * b * o * (h / stride) * (h / stride) * c * 9;
                    return $"{t.Wall * 1e6 / b,7:F1} ({flops / t.Wall / 1e9,5:F0})";
                });
                Console.WriteLine($"{name,-28} " + string.Join(" ", cells));
            }
        }

        // The thread hand-off alone: Parallelism.For over 2 and 4 items that each spin for a fixed time.
        foreach (int us in new[] { 10, 40 })
        {
            foreach (int items in new[] { 2, 4 })
            {
                long ticks = us * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
                var t = Time(() => Parallelism.For(items, _ =>
                {
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    while (System.Diagnostics.Stopwatch.GetTimestamp() - t0 < ticks)
                    {
                    }
                }, 1 << 20), 0.3);
                Console.WriteLine($"Parallelism.For({items} items of {us} µs): {t.Wall * 1e6:F1} µs (ideal {items * us / (double)Math.Min(items, Parallelism.Threads):F0})");
            }
        }

        // The weights' packing, which each forward call does once (single-threaded) before its tasks start.
        foreach (var (m, k) in new[] { (96, 288), (96, 864) })
        {
            var path = Gemm.Current;
            var a = new float[m * k];
            var dst = new float[Gemm.PackedASize(path, m, k)];
            var t = Time(() =>
            {
                unsafe
                {
                    fixed (float* pa = a, pd = dst)
                    {
                        Gemm.PackAAll(path, false, pa, k, m, k, 1f, pd);
                    }
                }
            }, 0.3);
            Console.WriteLine($"PackAAll of the ({m} × {k}) weights: {t.Wall * 1e6:F1} µs");
        }
    }

    // BatchNorm + ReLU (training: batch statistics) on resnet_fm's maps at batch 256, one thread over all channels: the
    // fused AVX-512 kernel (BatchNormSimd) against the generic TensorPrimitives form (Norm), milliseconds per call and
    // GB/s counting the forward's 1 read of x, 1 of the residual (none here) and 1 write of y, the backward's 3 reads
    // (dy, y, x) and 1 write of dx.
    private static void BatchNormParts()
    {
        Console.WriteLine($"threads 1, load average {LoadAverage()}; BatchNorm + ReLU, batch statistics, ms per call (GB/s)");
        Console.WriteLine($"{"(N, C, H, W)",-20} {"fwd generic",16} {"fwd fused",16} {"bwd generic",16} {"bwd fused",16}");
        foreach (var (n, c, h) in new[] { (256, 16, 28), (256, 32, 14), (256, 96, 7) })
        {
            int s = h * h, len = n * c * s;
            var rng = new Rng(1);
            var x = Tensor.Randn(rng, [len]).Data<float>().ToArray();
            var dy = Tensor.Randn(rng, [len]).Data<float>().ToArray();
            var w = Tensor.Randn(rng, [c]).Data<float>().ToArray();
            var b = Tensor.Randn(rng, [c]).Data<float>().ToArray();
            float[] y = new float[len], g = new float[len], dx = new float[len], mean = new float[c], var = new float[c];
            float[] rstd = new float[c], dw = new float[c], db = new float[c];
            var fg = Time(() => Norm.BatchNormForward<float>(x, w, b, y, mean, var, rstd, n, c, s, 0, c, true, 1e-5f, [], true));
            var ff = Time(() => BatchNormSimd.Forward(x, w, b, y, mean, var, rstd, n, c, s, 0, c, true, 1e-5f, [], true));
            var bg = Time(() =>
            {
                Elementwise.Map(y, dy, g, default(ReluGradOp));
                Norm.BatchNormBackward<float>(g, x, w, mean, rstd, dx, dw, db, n, c, s, 0, c, true);
            });
            var bf = Time(() => BatchNormSimd.Backward(dy, y, [], x, w, mean, rstd, dx, dw, db, n, c, s, 0, c, true));
            string F(Timing t, int streams) => $"{t.Wall * 1e3,6:F3} ({streams * 4.0 * len / t.Wall / 1e9,5:F1})";
            Console.WriteLine($"{$"({n}, {c}, {h}, {h})",-20} {F(fg, 2),16} {F(ff, 2),16} {F(bg, 4),16} {F(bf, 4),16}");
        }
    }

    // The micro-kernel alone on L1-resident packed panels: the ceiling the blocked GEMM can reach.
    private static unsafe void MicroKernelPeak(double? peak)
    {
        foreach (var path in new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar })
        {
            if (!Gemm.IsSupported(path))
            {
                continue;
            }

            var k = Gemm.KernelFor(path);
            const int Kc = Gemm.KC;
            var a = new float[(k.MR * Kc) + 16];
            var b = new float[(k.NR * Kc) + 16];
            var c = new float[k.MR * k.NR];
            fixed (float* pa = a, pb = b, pc = c)
            {
                float* ap = pa, bp = pb, cp = pc;
                var t = Time(() =>
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        k.Fn(Kc, ap, bp, cp, k.NR, 1f, false);
                    }
                });
                double g = 2.0 * k.MR * k.NR * Kc * 1000 / t.Cpu / 1e9;
                Console.WriteLine($"micro-kernel {path} {k.MR}×{k.NR}: {g:F1} GFLOP/s by CPU time ({Pct(g, peak)} of peak)");
            }
        }
    }

    private static string Pct(double g, double? peak) => peak is null ? "n/a" : $"{100 * g / peak:F0}%";

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>Per call: warm-up, then repeat for about <paramref name="budget"/> seconds in 3 rounds; best round.</summary>
    public static Timing Time(Action f, double budget = 0.5)
    {
        f();
        var sw = Stopwatch.StartNew();
        f();
        double once = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
        int reps = Math.Max(1, (int)(budget / 3 / once));
        double wall = double.MaxValue, cpu = double.MaxValue;
        var proc = Process.GetCurrentProcess();
        for (int round = 0; round < 3; round++)
        {
            proc.Refresh();
            var c0 = proc.TotalProcessorTime;
            sw.Restart();
            for (int i = 0; i < reps; i++)
            {
                f();
            }

            wall = Math.Min(wall, sw.Elapsed.TotalSeconds / reps);
            proc.Refresh();
            cpu = Math.Min(cpu, Math.Max((proc.TotalProcessorTime - c0).TotalSeconds, 1e-6) / reps);
        }

        return new Timing(wall, cpu);
    }

    /// <summary>Core clock in GHz from a chain of dependent FMAs (latency 4 cycles on Skylake/Ice Lake) timed by CPU time; null without FMA.</summary>
    public static double? CalibrateGHz()
    {
        if (!Fma.IsSupported)
        {
            return null;
        }

        const int N = 100_000_000;
        var t = Time(() => GC.KeepAlive(FmaChain(N)), 1.5);
        return 4.0 * N / t.Cpu / 1e9;
    }

    private static Vector128<float> FmaChain(int n)
    {
        var x = Vector128.Create(1f);
        var m = Vector128.Create(0.999999f);
        var a = Vector128.Create(1e-7f);
        for (int i = 0; i < n; i++)
        {
            x = Fma.MultiplyAdd(x, m, a);
        }

        return x;
    }
}
