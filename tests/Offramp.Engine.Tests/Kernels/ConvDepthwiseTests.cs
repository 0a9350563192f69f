using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Kernels;

/// <summary>
/// The direct depthwise kernels (forward, input gradient, weight gradient) against the float64 reference twin over
/// Dynamic Perceiver / MobileNetV3 shapes and odd ones, at every SIMD width; forward and input gradient are
/// bit-identical across widths, and every pass is bit-identical for 1 and 2 threads.
/// </summary>
public class ConvDepthwiseTests
{
    // N, C, H, W, multiplier, KH, KW, sH, sW, pH, pW, dH, dW
    public static TheoryData<int[]> Cases() => new()
    {
        new[] { 2, 3, 32, 32, 1, 7, 7, 1, 1, 3, 3, 1, 1 },
        new[] { 1, 4, 16, 16, 1, 7, 7, 1, 1, 3, 3, 1, 1 },
        new[] { 2, 5, 8, 8, 1, 7, 7, 1, 1, 3, 3, 1, 1 },
        new[] { 1, 3, 4, 4, 1, 7, 7, 1, 1, 3, 3, 1, 1 },
        new[] { 2, 6, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 2, 56, 56, 1, 3, 3, 2, 2, 1, 1, 1, 1 },
        new[] { 2, 3, 14, 14, 1, 5, 5, 1, 1, 2, 2, 1, 1 },
        new[] { 1, 3, 28, 28, 1, 5, 5, 2, 2, 2, 2, 1, 1 },
        new[] { 1, 2, 27, 29, 1, 3, 3, 2, 2, 1, 1, 1, 1 },
        new[] { 2, 3, 19, 23, 1, 5, 5, 1, 1, 2, 2, 1, 1 },
        new[] { 1, 2, 13, 37, 2, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 2, 17, 33, 1, 7, 7, 2, 2, 3, 3, 1, 1 },
        new[] { 1, 3, 11, 21, 1, 3, 5, 1, 2, 1, 2, 1, 1 },
        new[] { 1, 2, 20, 40, 1, 3, 3, 1, 1, 2, 2, 2, 2 },
        new[] { 1, 2, 15, 31, 1, 3, 3, 3, 3, 0, 0, 1, 1 },
        new[] { 2, 3, 9, 17, 2, 5, 5, 2, 1, 1, 2, 1, 1 },
        new[] { 1, 2, 18, 50, 1, 5, 5, 2, 2, 4, 4, 1, 1 },
        new[] { 1, 2, 35, 36, 1, 33, 33, 2, 1, 16, 16, 1, 1 }, // KH·KW > 1024: dX takes the scalar scatter

        // Stride-1 planes under 8 columns: the flattened path (ConvDepthwiseFlat.cs).
        new[] { 3, 4, 7, 7, 1, 7, 7, 1, 1, 3, 3, 1, 1 },
        new[] { 2, 3, 7, 7, 2, 7, 7, 1, 1, 3, 3, 1, 1 },    // multiplier 2: dX accumulates
        new[] { 1, 3, 7, 7, 1, 5, 5, 1, 1, 2, 2, 1, 1 },
        new[] { 2, 2, 6, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 2, 9, 7, 1, 3, 3, 1, 1, 2, 2, 2, 2 },    // dilation 2
        new[] { 1, 2, 30, 3, 1, 5, 3, 1, 1, 2, 1, 1, 1 },   // 150 flat elements: two blocks
        new[] { 2, 2, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 2, 5, 6, 1, 3, 3, 1, 1, 0, 0, 1, 1 },    // no padding
        new[] { 1, 2, 7, 7, 1, 7, 7, 2, 2, 3, 3, 1, 1 },    // stride 2: not flat
        new[] { 1, 2, 5, 5, 1, 17, 17, 1, 1, 8, 8, 1, 1 },  // 289 taps: not flat
    };

    private static IEnumerable<SimdWidth> Widths()
        => new[] { SimdWidth.V512, SimdWidth.V256, SimdWidth.Scalar }.Where(w => w <= ConvDepthwise.Best);

    private static ConvGeometry Geometry(int[] p)
        => new(p[0], p[1], p[2], p[3], p[1] * p[4], p[5], p[6], (p[7], p[8]), (p[9], p[10]), (p[11], p[12]), p[1]);

    private static (float[] X, float[] W, float[] B, float[] Gy) Operands(ConvGeometry g, ulong seed)
    {
        var rng = new Rng(seed);
        float[] Randn(params int[] shape) => Tensor.Randn(rng, shape).ToArray();
        return (Randn(g.N, g.C, g.H, g.W), Randn(g.O, 1, g.KH, g.KW), Randn(g.O), Randn(g.N, g.O, g.OH, g.OW));
    }

    private static (float[] Y, float[] Gx, float[] Gw) RunFast(ConvGeometry g, float[] x, float[] w, float[] b, float[] gy)
    {
        var y = new float[g.N * g.O * g.OH * g.OW];
        var gx = new float[x.Length];
        var gw = new float[w.Length];
        Array.Fill(gx, float.NaN); // the kernels overwrite their outputs
        Array.Fill(gw, float.NaN);
        ConvDepthwise.Forward(x, w, b, y, g);
        ConvDepthwise.BackwardInput(gy, w, gx, g);
        ConvDepthwise.BackwardWeight(x, gy, gw, g);
        return (y, gx, gw);
    }

    private static float[] ToFloat(double[] a) => Array.ConvertAll(a, v => (float)v);

    private static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Depthwise_ForwardAndBackward_MatchReferenceAtEveryWidth(int[] p)
    {
        var g = Geometry(p);
        var (x, w, b, gy) = Operands(g, 11);
        var (x64, w64, b64, gy64) = (ToDouble(x), ToDouble(w), ToDouble(b), ToDouble(gy));
        var y64 = new double[gy.Length];
        var gx64 = new double[x.Length];
        var gw64 = new double[w.Length];
        ConvReference.Forward<double>(x64, w64, b64, y64, g);
        ConvReference.BackwardInput<double>(gy64, w64, gx64, g);
        ConvReference.BackwardWeight<double>(x64, gy64, gw64, g);
        (float[] Y, float[] Gx, float[] Gw)? first = null;
        foreach (var width in Widths())
        {
            using (ConvDepthwise.Force(width))
            {
                var r = RunFast(g, x, w, b, gy);
                string what = $"{string.Join(',', p)} {width}";

                // Sums of T products of unit normals: float32 rounding stays far below 1e-5·√T.
                double taps = g.KH * g.KW, outTerms = g.N * g.OH * g.OW;
                TestUtil.AssertClose(ToFloat(y64), r.Y, 1e-5 * Math.Sqrt(taps), 1e-5, what + " y");
                TestUtil.AssertClose(ToFloat(gx64), r.Gx, 1e-5 * Math.Sqrt(taps * g.O / g.C), 1e-5, what + " dx");
                TestUtil.AssertClose(ToFloat(gw64), r.Gw, 1e-5 * Math.Sqrt(outTerms), 1e-5, what + " dw");

                // Every lane sums its taps in the same order with the same fused multiply-adds at every width.
                if (first is { } f)
                {
                    Assert.Equal(f.Y, r.Y);
                    Assert.Equal(f.Gx, r.Gx);
                }

                first ??= r;
            }
        }
    }

    [Fact]
    public void Depthwise_OneVersusTwoThreads_BitIdenticalAtEveryWidth()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (var p in new[] { new[] { 3, 5, 20, 21, 1, 7, 7, 1, 1, 3, 3, 1, 1 }, new[] { 2, 4, 23, 17, 2, 3, 3, 2, 2, 1, 1, 1, 1 }, new[] { 3, 5, 7, 7, 1, 7, 7, 1, 1, 3, 3, 1, 1 } })
            {
                var g = Geometry(p);
                var (x, w, b, gy) = Operands(g, 12);
                foreach (var width in Widths())
                {
                    using (ConvDepthwise.Force(width))
                    {
                        Parallelism.Threads = 1;
                        var one = RunFast(g, x, w, b, gy);
                        Parallelism.Threads = 2;
                        var two = RunFast(g, x, w, b, gy);
                        Assert.Equal(one.Y, two.Y);
                        Assert.Equal(one.Gx, two.Gx);
                        Assert.Equal(one.Gw, two.Gw);
                    }
                }
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void Depthwise_Force_LimitsTheWidthUntilDisposed()
    {
        using (ConvDepthwise.Force(SimdWidth.Scalar))
        {
            Assert.Equal(SimdWidth.Scalar, ConvDepthwise.Width);
        }

        Assert.Equal(ConvDepthwise.Best, ConvDepthwise.Width);
    }
}
