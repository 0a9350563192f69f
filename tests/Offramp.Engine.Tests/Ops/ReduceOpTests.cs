namespace Offramp.Engine.Tests.Ops;

public class ReduceOpTests
{
    /// <summary>Two-pass variance in double over the given axes of a row-major array, straight from the definition.</summary>
    private static double[] NaiveVar(double[] x, int[] shape, int[] axes, int correction)
    {
        var strides = Shape.Strides(shape);
        var outShape = shape.Select((n, i) => axes.Contains(i) ? 1 : n).ToArray();
        var outStrides = Shape.Strides(outShape);
        int outN = Shape.Numel(outShape);
        var groups = new List<double>[outN];
        for (int i = 0; i < outN; i++)
        {
            groups[i] = [];
        }

        for (int f = 0; f < x.Length; f++)
        {
            int o = 0;
            for (int d = 0; d < shape.Length; d++)
            {
                int idx = f / strides[d] % shape[d];
                o += (axes.Contains(d) ? 0 : idx) * outStrides[d];
            }

            groups[o].Add(x[f]);
        }

        return [.. groups.Select(g =>
        {
            double mean = g.Sum() / g.Count;
            return g.Sum(v => (v - mean) * (v - mean)) / Math.Max(0, g.Count - correction);
        })];
    }

    [Theory]
    [InlineData(new[] { 1 }, 1)]
    [InlineData(new[] { 0 }, 0)]
    [InlineData(new[] { 0, 2 }, 1)]
    [InlineData(new int[0], 1)]
    [InlineData(new[] { -1, 0, 1 }, 0)]
    public void Var_MatchesTwoPassDouble(int[] axes, int correction)
    {
        int[] shape = [3, 4, 5];
        var x64 = Tensor.Randn(new Rng(21), shape, DType.Float64).Mul(3.0).Add(100.0); // offset tests the centring
        var norm = axes.Length == 0 ? [0, 1, 2] : axes.Select(a => a < 0 ? a + 3 : a).ToArray();
        var expected = NaiveVar(x64.ToDoubleArray(), shape, norm, correction);
        var kept = shape.Select((n, i) => norm.Contains(i) ? 1 : n).ToArray();
        OpData.AssertValues(x64.Var(axes, keepDim: true, correction), kept, expected, 1e-12);
        OpData.AssertValues(x64.ToDType(DType.Float32).Var(axes, keepDim: true, correction), kept, expected, 2e-5);
        Assert.Equal(shape.Where((_, i) => !norm.Contains(i)).ToArray(), x64.Var(axes, false, correction).Shape);
    }

    [Fact]
    public void Var_HandValues_AndDegenerateCount()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 4);
        Assert.Equal(5.0 / 3, x.Var(null).Item(), 14);
        Assert.Equal(1.25, x.Var(null, correction: 0).Item(), 14);
        Assert.True(double.IsNaN(Tensor.FromArray(new double[] { 7 }, 1).Var(null).Item())); // N − 1 = 0, as torch
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxMinArgMax_TiesTakeFirst(DType dtype)
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 2, 0, 2 }, 2, 3).ToDType(dtype);
        OpData.AssertValues(x.Max(1), [2], [3, 2]);
        OpData.AssertValues(x.Max(1, keepDim: true), [2, 1], [3, 2]);
        OpData.AssertValues(x.Min(1), [2], [1, 0]);
        OpData.AssertValues(x.Max(0), [3], [2, 3, 3]);
        OpData.AssertValues(x.Min(-2), [3], [1, 0, 2]);
        Assert.Equal([1, 0], x.ArgMax(1));
        Assert.Equal([0, 1], x.ArgMin(1));
        Assert.Equal([1, 0, 0], x.ArgMax(0));
        Assert.Equal([1, 0, 0], x.ArgMax(-2));
        Assert.Equal([0, 1, 1], x.ArgMin(0));
        Assert.Equal([2], Tensor.FromArray(new float[] { 1, 1, 5, 5 }, 4).ArgMax(0));
    }

    [Fact]
    public void Max_NaN_WinsAtFirstNaN()
    {
        var x = Tensor.FromArray(new float[] { 1, float.NaN, 5, float.NaN }, 1, 4);
        Assert.True(double.IsNaN(x.Max(1).Item()));
        Assert.Equal([1], x.ArgMax(1));
        Assert.Equal([1], x.ArgMin(1));
    }

    [Fact]
    public void Max_EmptyAxis_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 0).Max(1));
        Assert.Contains("(2, 0)", e.Message);
    }

    [Fact]
    public void MaxMin_Gradient_GoesToFirstExtreme()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 2, 0, 2 }, 2, 3).WithGrad();
        x.Max(1).Sum().Backward();
        OpData.AssertValues(x.Grad!, [2, 3], [0, 1, 0, 1, 0, 0]);
        x.Grad = null;
        x.Min(0, keepDim: true).Sum().Backward();
        OpData.AssertValues(x.Grad!, [2, 3], [1, 0, 0, 0, 1, 1]);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LogSumExp_LargeAndInfiniteValues_Stable(DType dtype)
    {
        var big = Tensor.FromArray(new double[] { 1000, 1000, -1000, -1000 }, 2, 2).ToDType(dtype);
        OpData.AssertValues(big.LogSumExp([1]), [2], [1000 + Math.Log(2), -1000 + Math.Log(2)]);
        var inf = Tensor.FromArray(new double[] { double.NegativeInfinity, double.NegativeInfinity, 1, double.PositiveInfinity }, 2, 2).ToDType(dtype);
        OpData.AssertValues(inf.LogSumExp([1], keepDim: true), [2, 1], [double.NegativeInfinity, double.PositiveInfinity]);
    }

    [Fact]
    public void LogSumExp_MultiAxis_MatchesDirectSum()
    {
        var x = Tensor.Randn(new Rng(22), [2, 3, 4], DType.Float64);
        var r = x.LogSumExp([0, 2]);
        Assert.Equal([3], r.Shape);
        for (int j = 0; j < 3; j++)
        {
            double s = 0;
            for (int i = 0; i < 2; i++)
            {
                for (int k = 0; k < 4; k++)
                {
                    s += Math.Exp(x[i, j, k]);
                }
            }

            Assert.Equal(Math.Log(s), r[j], 13);
        }

        Assert.Equal([], x.LogSumExp([]).Shape);
    }

    [Fact]
    [GradCheckCase("var")]
    public void Var_PassesGradCheck()
    {
        var x = TestUtil.R64(23, 3, 4);
        TestUtil.AssertGrad(t => t[0].Var([1]), x);
        TestUtil.AssertGrad(t => t[0].Var([0], keepDim: true, correction: 0), x);
        TestUtil.AssertGrad(t => t[0].Var(null), x);
    }

    [Fact]
    [GradCheckCase("max", "min")]
    public void MaxMin_PassGradCheck()
    {
        // Random normals: no ties, so max/min are smooth at the points checked.
        var x = TestUtil.R64(24, 3, 4);
        TestUtil.AssertGrad(t => t[0].Max(1), x);
        TestUtil.AssertGrad(t => t[0].Max(0, keepDim: true), x);
        TestUtil.AssertGrad(t => t[0].Min(-1), x);
        TestUtil.AssertGrad(t => t[0].Min(0), x);
    }

    [Fact]
    [GradCheckCase("logsumexp")]
    public void LogSumExp_PassesGradCheck()
    {
        var x = TestUtil.R64(25, 2, 3, 4);
        TestUtil.AssertGrad(t => t[0].LogSumExp([2]), x);
        TestUtil.AssertGrad(t => t[0].LogSumExp([0, 2], keepDim: true), x);
        TestUtil.AssertGrad(t => t[0].LogSumExp([]), x);
    }
}
