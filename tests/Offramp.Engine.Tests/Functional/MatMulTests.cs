namespace Offramp.Engine.Tests.Functional;

public class MatMulTests
{
    public static TheoryData<int[], int[], int[]> ShapeCases() => new()
    {
        { new[] { 3 }, new[] { 3 }, Array.Empty<int>() },
        { new[] { 2, 3 }, new[] { 3 }, new[] { 2 } },
        { new[] { 3 }, new[] { 3, 4 }, new[] { 4 } },
        { new[] { 2, 3 }, new[] { 3, 4 }, new[] { 2, 4 } },
        { new[] { 5, 2, 3 }, new[] { 3, 4 }, new[] { 5, 2, 4 } },
        { new[] { 2, 3 }, new[] { 5, 3, 4 }, new[] { 5, 2, 4 } },
        { new[] { 2, 1, 2, 3 }, new[] { 3, 3, 4 }, new[] { 2, 3, 2, 4 } },
        { new[] { 3 }, new[] { 5, 3, 4 }, new[] { 5, 4 } },
        { new[] { 5, 2, 3 }, new[] { 3 }, new[] { 5, 2 } },
        { new[] { 1, 2, 3 }, new[] { 4, 3, 1 }, new[] { 4, 2, 1 } },
        { new[] { 3, 1, 2, 3 }, new[] { 1, 2, 3, 2 }, new[] { 3, 2, 2, 2 } },
    };

    // Independent oracle: broadcast batch indices by hand, sum in double.
    private static double[] Naive(Tensor a, Tensor b, int[] outShape)
    {
        int[] am = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] bm = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape;
        int m = am[^2], k = am[^1], n = bm[^1];
        var batch = Shape.Broadcast(am.AsSpan(0, am.Length - 2), bm.AsSpan(0, bm.Length - 2));
        var av = a.ToDoubleArray();
        var bv = b.ToDoubleArray();
        int count = Shape.Numel(batch);
        var r = new double[count * m * n];
        for (int i = 0; i < count; i++)
        {
            int ia = BatchIndex(i, batch, am[..^2]), ib = BatchIndex(i, batch, bm[..^2]);
            for (int r0 = 0; r0 < m; r0++)
            {
                for (int c = 0; c < n; c++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        s += av[(((ia * m) + r0) * k) + p] * bv[(((ib * k) + p) * n) + c];
                    }

                    r[(((i * m) + r0) * n) + c] = s;
                }
            }
        }

        Assert.Equal(Shape.Numel(outShape), r.Length);
        return r;
    }

    private static int BatchIndex(int flat, int[] batch, int[] own)
    {
        int off = batch.Length - own.Length, idx = 0;
        for (int d = 0, rem = flat, div = Shape.Numel(batch); d < batch.Length; d++)
        {
            div /= batch[d];
            int v = rem / div;
            rem %= div;
            if (d >= off)
            {
                idx = (idx * own[d - off]) + (own[d - off] == 1 ? 0 : v);
            }
        }

        return idx;
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void MatMul_BroadcastShapes_MatchesNaive(int[] sa, int[] sb, int[] expected)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var a = Tensor.Randn(new Rng(1), sa, dtype);
            var b = Tensor.Randn(new Rng(2), sb, dtype);
            var c = a.MatMul(b);
            Assert.Equal(expected, c.Shape);
            Assert.Equal(dtype, c.DType);
            TestUtil.AssertClose(Naive(a, b, expected).Select(v => (float)v).ToArray(), c.ToArray(), 1e-5, 1e-5, $"{dtype} {Shape.Format(sa)} @ {Shape.Format(sb)}");
        }
    }

    [Theory]
    [GradCheckCase("matmul")]
    [MemberData(nameof(ShapeCases))]
    public void MatMul_BroadcastShapes_PassesGradCheck(int[] sa, int[] sb, int[] expected)
    {
        Assert.NotNull(expected);
        TestUtil.AssertGrad(x => x[0].MatMul(x[1]), TestUtil.R64(3, sa), TestUtil.R64(4, sb));
    }

    [Fact]
    public void MatMulFloat32_LargerBatchedShapes_MatchFloat64WithGradients()
    {
        foreach (var (sa, sb) in new[] { (new[] { 4, 33, 65 }, new[] { 65, 17 }), (new[] { 3, 1, 31, 20 }, new[] { 2, 20, 40 }), (new[] { 70, 129 }, new[] { 129, 66 }) })
        {
            var a64 = Tensor.Randn(new Rng(5), sa, DType.Float64).WithGrad();
            var b64 = Tensor.Randn(new Rng(6), sb, DType.Float64).WithGrad();
            var a32 = a64.ToDType(DType.Float32).WithGrad();
            var b32 = b64.ToDType(DType.Float32).WithGrad();
            var c64 = a64.MatMul(b64);
            var c32 = a32.MatMul(b32);
            var g = Tensor.Randn(new Rng(7), c64.Shape, DType.Float64);
            c64.Backward(g);
            c32.Backward(g.ToDType(DType.Float32));
            string what = $"{Shape.Format(sa)} @ {Shape.Format(sb)}";
            TestUtil.AssertClose(c64, c32, 1e-3, 1e-4, what);
            TestUtil.AssertClose(a64.Grad!, a32.Grad!, 1e-3, 1e-4, what + " dA");
            TestUtil.AssertClose(b64.Grad!, b32.Grad!, 1e-3, 1e-4, what + " dB");
        }
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 4, 5 }, "matmul: (2, 3) @ (4, 5): inner dimensions 3 and 4 differ")]
    [InlineData(new[] { 2, 2, 3 }, new[] { 3, 3, 4 }, "batch dims (2,) and (3,) cannot be broadcast")]
    [InlineData(new int[0], new[] { 3 }, "at least one dimension")]
    public void MatMul_BadShapes_ThrowNamingShapes(int[] sa, int[] sb, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(sa).MatMul(Tensor.Zeros(sb)));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
