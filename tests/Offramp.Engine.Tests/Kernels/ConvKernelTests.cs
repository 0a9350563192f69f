using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;

namespace Offramp.Engine.Tests.Kernels;

/// <summary>Float32 convolution (im2col + GEMM, pointwise, depthwise) against the float64 reference, forward and backward.</summary>
public class ConvKernelTests
{
    // N, C, H, W, O, KH, KW, sH, sW, pH, pW, dH, dW, groups
    public static TheoryData<int[]> Cases() => new()
    {
        new[] { 2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 1, 4, 7, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2 },
        new[] { 3, 6, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6 },
        new[] { 2, 4, 9, 7, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4 },
        new[] { 2, 5, 6, 6, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 2, 8, 6, 6, 8, 1, 1, 1, 1, 0, 0, 1, 1, 4 },
        new[] { 1, 3, 11, 13, 5, 5, 3, 2, 1, 2, 1, 1, 2, 1 },
        new[] { 2, 16, 17, 17, 33, 3, 3, 1, 1, 1, 1, 2, 2, 1 },
        new[] { 2, 4, 10, 10, 4, 5, 5, 1, 1, 2, 2, 2, 2, 4 },
        new[] { 1, 2, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 5, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 2, 3, 5, 5, 2, 3, 3, 3, 3, 2, 2, 1, 1, 1 },
        new[] { 3, 7, 15, 1, 9, 3, 1, 1, 1, 1, 0, 1, 1, 1 },
        new[] { 2, 17, 7, 31, 17, 3, 3, 1, 1, 1, 1, 1, 1, 17 },
        new[] { 1, 64, 9, 9, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 12, 8, 8, 12, 3, 3, 1, 2, 0, 1, 1, 1, 12 },
        new[] { 2, 3, 2, 2, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 3, 6, 11, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3 },
        new[] { 1, 2, 5, 9, 2, 3, 3, 1, 1, 3, 3, 1, 1, 2 },
        new[] { 2, 8, 12, 20, 8, 5, 5, 3, 3, 2, 2, 1, 1, 8 },
        new[] { 1, 4, 9, 33, 12, 3, 3, 1, 1, 1, 1, 1, 1, 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2dFloat32_ForwardAndBackward_MatchesReference(int[] p)
    {
        int n = p[0], c = p[1], h = p[2], w = p[3], o = p[4], kh = p[5], kw = p[6], groups = p[13];
        (int, int) stride = (p[7], p[8]), pad = (p[9], p[10]), dil = (p[11], p[12]);
        var rng = new Rng(42);
        var x64 = Tensor.Randn(rng, [n, c, h, w], DType.Float64);
        var w64 = Tensor.Randn(rng, [o, c / groups, kh, kw], DType.Float64);
        var b64 = Tensor.Randn(rng, [o], DType.Float64);
        var x32 = x64.ToDType(DType.Float32).WithGrad();
        var w32 = w64.ToDType(DType.Float32).WithGrad();
        var b32 = b64.ToDType(DType.Float32).WithGrad();
        x64.WithGrad();
        w64.WithGrad();
        b64.WithGrad();

        var y64 = F.Conv2d(x64, w64, b64, stride, pad, dil, groups);
        var y32 = F.Conv2d(x32, w32, b32, stride, pad, dil, groups);
        var gy = Tensor.Randn(rng, y64.Shape, DType.Float64);
        y64.Backward(gy);
        y32.Backward(gy.ToDType(DType.Float32));

        double atol = 1e-4 * Math.Sqrt((c / groups * kh * kw) + 1);
        string what = $"conv {string.Join(",", p)}";
        TestUtil.AssertClose(y64, y32, atol, 1e-4, what + " y");
        TestUtil.AssertClose(x64.Grad!, x32.Grad!, atol, 1e-4, what + " dx");
        TestUtil.AssertClose(w64.Grad!, w32.Grad!, 1e-4 * Math.Sqrt(n * y64.Shape[2] * y64.Shape[3]), 1e-4, what + " dw");
        TestUtil.AssertClose(b64.Grad!, b32.Grad!, 1e-3, 1e-4, what + " db");
    }

    [Fact]
    public void Conv2dFloat32_AvxFallbacks_MatchBestPath()
    {
        var rng = new Rng(3);
        var x = Tensor.Randn(rng, [2, 5, 9, 9]);
        var w = Tensor.Randn(rng, [7, 5, 3, 3]);
        var best = F.Conv2d(x, w, null, 2, 1);
        foreach (var path in new[] { GemmPath.Avx2, GemmPath.Scalar })
        {
            if (!Gemm.IsSupported(path))
            {
                continue;
            }

            using (Gemm.Force(path))
            {
                TestUtil.AssertClose(best, F.Conv2d(x, w, null, 2, 1), 1e-4, 1e-4, path.ToString());
            }
        }
    }

    [Fact]
    public void Conv2dFloat32_OneVersusTwoThreads_BitIdentical()
    {
        int saved = Parallelism.Threads;
        try
        {
            var rng = new Rng(5);
            var gy = Tensor.Randn(rng, [6, 16, 10, 10]);
            foreach (int groups in new[] { 1, 16 })
            {
                var results = new List<float[]>();
                foreach (int threads in new[] { 1, 2 })
                {
                    Parallelism.Threads = threads;
                    var r = new Rng(6);
                    var x = Tensor.Randn(r, [6, 16, 10, 10]).WithGrad();
                    var w = Tensor.Randn(r, [16, 16 / groups, 3, 3]).WithGrad();
                    var y = F.Conv2d(x, w, null, 1, 1, 1, groups);
                    y.Backward(gy);
                    results.Add([.. y.ToArray(), .. x.Grad!.ToArray(), .. w.Grad!.ToArray()]);
                }

                Assert.Equal(results[0], results[1]);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
