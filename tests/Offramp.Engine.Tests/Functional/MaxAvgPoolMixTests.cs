using Offramp.Engine.Functional;

namespace Offramp.Engine.Tests.Functional;

/// <summary>
/// <see cref="F.MaxAvgPoolMix"/> (SDN's alpha·max + (1 − alpha)·avg pooling in one pass) against the separate ops it
/// replaces, bit for bit: odd sizes that leave a remainder, several plane chunks, NaN windows, k from 2 to 7, rank 3
/// and 4; the recorded-gradient and float64 fallbacks; bad alpha.
/// </summary>
public class MaxAvgPoolMixTests
{
    [Theory]
    [InlineData(2, 32, 14, 14, 3)]  // resnet_fm's first SDN head: 14 → 4×4 (two columns left over)
    [InlineData(3, 17, 16, 16, 4)]
    [InlineData(1, 5, 9, 11, 2)]    // non-square, odd
    [InlineData(2, 3, 28, 28, 7)]
    [InlineData(1, 40, 8, 8, 8)]    // one window per plane (no column pass)
    [InlineData(2, 4, 6, 7, 2)]     // fewer than 8 columns (scalar column pass)
    [InlineData(2, 8, 16, 16, 2)]   // a multiple of 8 columns
    [InlineData(1, 3, 17, 19, 8)]   // k = 8: scalar windows, 2×2 of them
    [InlineData(1, 2, 4, 1030, 2)]  // more than 1024 columns: scalar windows
    public void Fused_BitIdenticalToSeparateOps(int n, int c, int h, int w, int k)
    {
        var rng = new Rng(3);
        // ReLU'd values with signed zeros: windows whose maximum is +0 or −0 take the row-major scan.
        var x = Tensor.Randn(rng, [n, c, h, w]).Relu();
        for (int i = 0; i < x.Numel; i += 7)
        {
            if (x.GetFlat(i) == 0)
            {
                x.SetFlat(i, -0.0);
            }
        }

        x.SetFlat(5, float.NaN);
        x.SetFlat(x.Numel - 1, float.NaN);
        foreach (double a in new[] { 0.0, 0.37, 1.0 })
        {
            var alpha = Tensor.FromArray(new[] { (float)a }, 1);
            var expected = F.MaxPool2d(x, k, k).Mul(alpha).Add(F.AvgPool2d(x, k, k).Mul(alpha.Neg().Add(1.0)));
            Tensor fused;
            using (Engine.Autograd.NoGrad())
            {
                fused = F.MaxAvgPoolMix(x, k, alpha);
            }

            Assert.Equal(expected.Shape, fused.Shape);
            Assert.True(expected.ToArray().AsSpan().SequenceEqual(fused.ToArray()), $"alpha {a}: fused differs");
        }
    }

    [Fact]
    public void Rank3_MatchesSeparateOps()
    {
        var x = Tensor.Randn(new Rng(4), [6, 10, 10]);
        var alpha = Tensor.FromArray(new[] { 0.6f }, 1);
        using var noGrad = Engine.Autograd.NoGrad();
        var expected = F.MaxPool2d(x, 3, 3).Mul(alpha).Add(F.AvgPool2d(x, 3, 3).Mul(alpha.Neg().Add(1.0)));
        Assert.Equal(expected.ToArray(), F.MaxAvgPoolMix(x, 3, alpha).ToArray());
    }

    [Fact]
    public void WithGradients_BackpropagatesToInputAndAlpha()
    {
        var rng = new Rng(6);
        var x = Tensor.Randn(rng, [2, 3, 8, 8]).WithGrad();
        var alpha = Tensor.FromArray(new[] { 0.25f }, 1).WithGrad();
        var y = F.MaxAvgPoolMix(x, 2, alpha);
        Assert.Equal([2, 3, 4, 4], y.Shape);
        y.Sum().Backward();
        Assert.NotNull(x.Grad);
        Assert.NotNull(alpha.Grad);
        Assert.NotEqual(0f, alpha.Grad!.ToArray()[0]);
    }

    [Fact]
    public void Float64_UsesSeparateOps()
    {
        var x = Tensor.Randn(new Rng(7), [1, 2, 6, 6], DType.Float64);
        var alpha = Tensor.Full([1], 0.3, DType.Float64);
        var expected = F.MaxPool2d(x, 2, 2).Mul(alpha).Add(F.AvgPool2d(x, 2, 2).Mul(alpha.Neg().Add(1.0)));
        Assert.Equal(expected.ToArray(), F.MaxAvgPoolMix(x, 2, alpha).ToArray());
    }

    [Fact]
    public void AlphaNotOneElement_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => F.MaxAvgPoolMix(Tensor.Zeros(1, 1, 4, 4), 2, Tensor.Zeros(2)));
        Assert.Contains("alpha must have one element, got (2,)", e.Message);
    }
}
