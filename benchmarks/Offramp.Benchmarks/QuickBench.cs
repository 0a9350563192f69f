using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Offramp.Engine;
using Offramp.Engine.Kernels;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick`: times each shape with a Stopwatch for about half a second (after a warm-up) and prints GFLOP/s
/// and the share of one core's peak (2 FMA ports × 16 lanes × 2 flops × GHz, GHz from a dependent-FMA
/// calibration, 4-cycle FMA latency). Options: `--threads N`, `--gemm` / `--conv` to run one part.
/// </summary>
public static class QuickBench
{
    public static void Run(string[] args)
    {
        int ti = Array.IndexOf(args, "--threads");
        if (ti >= 0)
        {
            Parallelism.Threads = int.Parse(args[ti + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        bool all = !args.Contains("--gemm") && !args.Contains("--conv");
        double? ghz = CalibrateGHz();
        double? peak = ghz * 2 * 16 * 2;
        Console.WriteLine($"threads {Parallelism.Threads}, GEMM path {Gemm.Best}, " +
            (ghz is null ? "1-core peak n/a" : $"calibrated {ghz:F2} GHz → 1-core peak {peak:F0} GFLOP/s"));
        if (args.Contains("--kernel"))
        {
            MicroKernelPeak(peak);
            return;
        }

        if (all || args.Contains("--gemm"))
        {
            Console.WriteLine($"{"GEMM",-34} {"fast GFLOP/s",12} {"% peak",7} {"ref GFLOP/s",12}");
            foreach (var s in Shapes.Gemm)
            {
                var st = new GemmState(s);
                double fast = s.Flops / Time(st.Fast) / 1e9;
                double naive = s.Flops * 16 <= 4e9 ? s.Flops / Time(st.Reference, 0.2) / 1e9 : double.NaN;
                Console.WriteLine($"{s.Name,-34} {fast,12:F1} {Pct(fast, peak),7} {Fmt(naive),12}");
            }
        }

        if (all || args.Contains("--conv"))
        {
            Console.WriteLine($"{"conv2d",-34} {"fwd GFLOP/s",12} {"% peak",7} {"fwd+bwd GF/s",12} {"ref fwd",9}");
            foreach (var s in Shapes.Conv)
            {
                var st = new ConvState(s);
                double fwd = s.Flops / Time(st.Forward) / 1e9;
                double bwd = 3 * s.Flops / Time(st.ForwardBackward) / 1e9;
                double naive = s.Flops / Time(st.Reference, 0.2) / 1e9;
                Console.WriteLine($"{s.Name,-34} {fwd,12:F1} {Pct(fwd, peak),7} {bwd,12:F1} {naive,9:F2}");
            }
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
                double t = Time(() =>
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        k.Fn(Kc, ap, bp, cp, k.NR, 1f, false);
                    }
                });
                double g = 2.0 * k.MR * k.NR * Kc * 1000 / t / 1e9;
                Console.WriteLine($"micro-kernel {path} {k.MR}×{k.NR}: {g:F1} GFLOP/s ({Pct(g, peak)} of peak)");
            }
        }
    }

    private static string Pct(double g, double? peak) => peak is null ? "n/a" : $"{100 * g / peak:F0}%";

    private static string Fmt(double g) => double.IsNaN(g) ? "skipped" : $"{g:F2}";

    /// <summary>Seconds per call: warm-up, then repeat until <paramref name="budget"/> seconds; best of 3 rounds.</summary>
    public static double Time(Action f, double budget = 0.5)
    {
        f();
        var sw = Stopwatch.StartNew();
        f();
        double once = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
        int reps = Math.Max(1, (int)(budget / 3 / once));
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            sw.Restart();
            for (int i = 0; i < reps; i++)
            {
                f();
            }

            best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
        }

        return best;
    }

    /// <summary>Core clock in GHz from a chain of dependent FMAs (latency 4 cycles on Skylake/Ice Lake); null without FMA.</summary>
    public static double? CalibrateGHz()
    {
        if (!Fma.IsSupported)
        {
            return null;
        }

        const int N = 50_000_000;
        double best = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew();
            var v = FmaChain(N);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            GC.KeepAlive(v);
        }

        return 4.0 * N / best / 1e9;
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
