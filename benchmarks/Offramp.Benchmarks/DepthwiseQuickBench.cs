using Offramp.Engine;
using Offramp.Engine.Kernels;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick --depthwise`: the depthwise convolution kernels (forward, input gradient, weight gradient) on the
/// Dynamic Perceiver's 7×7 X2Z shapes (224² models and the Fashion-MNIST ones at batch 256) and MobileNetV3's 3×3 / 5×5 stride-1 and stride-2 shapes, GFLOP/s by wall
/// clock and by CPU time (2·N·C·OH·OW·K² flops per pass). Options: `--threads N`.
/// </summary>
public static class DepthwiseQuickBench
{
    /// <summary>Depthwise shapes: name, N, C, H (= W), K, stride.</summary>
    public static readonly (string Name, int N, int C, int H, int K, int S)[] Shapes =
    [
        ("dp X2Z N16 c64 7x7 32²", 16, 64, 32, 7, 1),
        ("dp X2Z N16 c128 7x7 16²", 16, 128, 16, 7, 1),
        ("dp X2Z N16 c256 7x7 8²", 16, 256, 8, 7, 1),
        ("dp X2Z N1 c128 7x7 16²", 1, 128, 16, 7, 1),
        ("dp-fm N256 c16 7x7 28²", 256, 16, 28, 7, 1),
        ("dp-fm N256 c32 7x7 14²", 256, 32, 14, 7, 1),
        ("dp-fm N256 c64 7x7 7²", 256, 64, 7, 7, 1),
        ("dp-fm N256 c96 7x7 7²", 256, 96, 7, 7, 1),
        ("mbv3 N16 c72 3x3 28²", 16, 72, 28, 3, 1),
        ("mbv3 N16 c64 3x3 s2 56²", 16, 64, 56, 3, 2),
        ("mbv3 N16 c240 5x5 14²", 16, 240, 14, 5, 1),
        ("mbv3 N16 c96 5x5 s2 28²", 16, 96, 28, 5, 2),
        ("mbv3 N1 c240 5x5 14²", 1, 240, 14, 5, 1),
    ];

    public static void Run(string[] args)
    {
        int ti = Array.IndexOf(args, "--threads");
        if (ti >= 0)
        {
            Parallelism.Threads = int.Parse(args[ti + 1], System.Globalization.CultureInfo.InvariantCulture);
        }

        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
        Console.WriteLine($"depthwise, threads {Parallelism.Threads}, load average {load}; GFLOP/s wall / cpu");
        Console.WriteLine($"{"shape",-26} {"fwd wall",9} {"fwd cpu",9} {"dX wall",9} {"dX cpu",9} {"dW wall",9} {"dW cpu",9}");
        foreach (var s in Shapes)
        {
            int p = s.K / 2;
            var g = new ConvGeometry(s.N, s.C, s.H, s.H, s.C, s.K, s.K, (s.S, s.S), (p, p), (1, 1), s.C);
            var rng = new Rng(1);
            var x = Tensor.Randn(rng, [s.N, s.C, s.H, s.H]).Span.ToArray();
            var w = Tensor.Randn(rng, [s.C, 1, s.K, s.K]).Span.ToArray();
            var b = Tensor.Randn(rng, [s.C]).Span.ToArray();
            var y = new float[s.N * s.C * g.OH * g.OW];
            var gx = new float[x.Length];
            var gw = new float[w.Length];
            double flops = 2.0 * s.N * s.C * g.OH * g.OW * s.K * s.K;
            var f = QuickBench.Time(() => ConvDepthwise.Forward(x, w, b, y, g));
            var dx = QuickBench.Time(() => ConvDepthwise.BackwardInput(y, w, gx, g));
            var dw = QuickBench.Time(() => ConvDepthwise.BackwardWeight(x, y, gw, g));
            Console.WriteLine($"{s.Name,-26} {flops / f.Wall / 1e9,9:F1} {flops / f.Cpu / 1e9,9:F1} {flops / dx.Wall / 1e9,9:F1} " +
                $"{flops / dx.Cpu / 1e9,9:F1} {flops / dw.Wall / 1e9,9:F1} {flops / dw.Cpu / 1e9,9:F1}");
        }
    }
}
