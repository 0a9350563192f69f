using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;

namespace Offramp.Engine.Tests.Functional;

public class ConvPoolTests
{
    // N, C, H, W, O, KH, KW, sH, sW, pH, pW, dH, dW, groups, bias
    [Theory]
    [GradCheckCase("conv2d")]
    [InlineData(1, 2, 4, 5, 3, 2, 3, 1, 1, 0, 0, 1, 1, 1, 1)]
    [InlineData(2, 2, 5, 5, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 0)]
    [InlineData(1, 2, 6, 5, 2, 2, 2, 1, 2, 1, 0, 2, 1, 1, 1)]
    [InlineData(1, 4, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1)]
    [InlineData(2, 3, 5, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 1)]
    [InlineData(1, 2, 5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 2, 0)]
    [InlineData(1, 3, 3, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1)]
    public void Conv2d_Configurations_PassGradCheck(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw,
        int ph, int pw, int dh, int dw, int groups, int bias)
    {
        var x = TestUtil.R64(1, n, c, h, w);
        var wt = TestUtil.R64(2, o, c / groups, kh, kw);
        if (bias == 1)
        {
            TestUtil.AssertGrad(t => F.Conv2d(t[0], t[1], t[2], (sh, sw), (ph, pw), (dh, dw), groups), x, wt, TestUtil.R64(3, o));
        }
        else
        {
            TestUtil.AssertGrad(t => F.Conv2d(t[0], t[1], null, (sh, sw), (ph, pw), (dh, dw), groups), x, wt);
        }
    }

    [Fact]
    public void Conv2d_ChannelMismatch_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(2, 3, 8, 8), Tensor.Zeros(16, 4, 3, 3)));
        Assert.Equal("conv2d: input (2, 3, 8, 8) has 3 channels but weight (16, 4, 3, 3) expects 4 (groups=1)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(2, 4, 8, 8), Tensor.Zeros(6, 2, 3, 3), groups: 4));
        Assert.Contains("groups=4", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 2, 2), Tensor.Zeros(1, 1, 3, 3)));
        Assert.Contains("smaller than the kernel", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 2, 4, 4), Tensor.Zeros(3, 2, 3, 3), Tensor.Zeros(2)));
        Assert.Contains("bias (2,)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conv2d_KnownValues_MatchHandComputation()
    {
        // 1 × 1 × 3 × 3 input 1..9, 2 × 2 all-ones kernel, padding 0: window sums.
        var x = Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);
        var y = F.Conv2d(x, Tensor.Ones(1, 1, 2, 2), Tensor.FromArray([0.5f], 1));
        Assert.Equal(new float[] { 12.5f, 16.5f, 24.5f, 28.5f }, y.ToArray());
    }

    // Distinct values (gaps of 0.1) so no window has a near-tie that finite differences could flip.
    private static Tensor Distinct(ulong seed, params int[] shape)
    {
        int n = Shape.Numel(shape);
        var rng = new Rng(seed);
        var v = Enumerable.Range(0, n).Select(i => (i - (n / 2)) * 0.1).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(rng.NextDouble() * (i + 1));
            (v[i], v[j]) = (v[j], v[i]);
        }

        return Tensor.FromArray(v, shape).WithGrad();
    }

    [Theory]
    [GradCheckCase("max_pool2d", "avg_pool2d")]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    [InlineData(2, 3, 1)]
    public void Pool2d_Configurations_PassGradCheck(int k, int s, int p)
    {
        var x = Distinct(1, 1, 2, 5, 6);
        TestUtil.AssertGrad(t => F.MaxPool2d(t[0], k, s, p), x);
        TestUtil.AssertGrad(t => F.AvgPool2d(t[0], k, s, p, countIncludePad: true), x);
        TestUtil.AssertGrad(t => F.AvgPool2d(t[0], k, s, p, countIncludePad: false), x);
    }

    [Theory]
    [GradCheckCase("adaptive_avg_pool2d", "adaptive_max_pool2d")]
    [InlineData(5, 7, 3, 2)]
    [InlineData(4, 4, 1, 1)]
    [InlineData(3, 5, 4, 6)]
    public void AdaptivePool2d_Sizes_PassGradCheck(int h, int w, int oh, int ow)
    {
        var x = Distinct(2, 2, 1, h, w);
        TestUtil.AssertGrad(t => F.AdaptiveAvgPool2d(t[0], oh, ow), x);
        TestUtil.AssertGrad(t => F.AdaptiveMaxPool2d(t[0], oh, ow), x);
    }

    [Fact]
    public void AdaptivePool_Bins_FollowPyTorchEdges()
    {
        // H = 5 → 3 bins: [0, 2), [1, 4), [3, 5).
        Assert.Equal((0, 2), Pool.Bin(0, 5, 3));
        Assert.Equal((1, 4), Pool.Bin(1, 5, 3));
        Assert.Equal((3, 5), Pool.Bin(2, 5, 3));
        var x = Tensor.FromArray([1f, 2, 3, 4, 5], 1, 1, 1, 5);
        Assert.Equal(new float[] { 1.5f, 3f, 4.5f }, F.AdaptiveAvgPool2d(x, 1, 3).ToArray());
        Assert.Equal(new float[] { 2f, 4f, 5f }, F.AdaptiveMaxPool2d(x, 1, 3).ToArray());
    }

    [Fact]
    public void MaxPool2d_Ties_GradientToFirstMaximum()
    {
        var x = Tensor.FromArray([1f, 3, 3, 2], 1, 1, 2, 2).WithGrad();
        F.MaxPool2d(x, 2, 2).Sum().Backward();
        Assert.Equal(new float[] { 0, 1, 0, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void MaxPool2d_PaddingIsMinusInfinity_AvgPoolCountIncludePad()
    {
        var x = Tensor.Full([1, 1, 2, 2], -5.0);
        Assert.All(F.MaxPool2d(x, 2, 1, 1).ToArray(), v => Assert.Equal(-5f, v));
        var ones = Tensor.Ones(1, 1, 2, 2);
        Assert.Equal(new float[] { 0.25f, 0.5f, 0.25f, 0.5f, 1f, 0.5f, 0.25f, 0.5f, 0.25f }, F.AvgPool2d(ones, 2, 1, 1).ToArray());
        Assert.All(F.AvgPool2d(ones, 2, 1, 1, countIncludePad: false).ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Pool2d_BadArguments_ThrowNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(2, 3), 2, 2));
        Assert.Contains("input (2, 3)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => F.AvgPool2d(Tensor.Zeros(1, 1, 4, 4), 2, 2, 2));
        Assert.Contains("padding 2", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 1, 2, 2), 3, 1));
        Assert.Contains("smaller than the 3×3 kernel", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool2d(Tensor.Zeros(1, 1, 4, 4), 0, 2));
    }
}
