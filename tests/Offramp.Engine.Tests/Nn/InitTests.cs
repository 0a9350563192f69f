using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

public class InitTests
{
    private static (double Min, double Max, double Mean, double Std) Stats(Tensor t)
    {
        var v = t.ToDoubleArray();
        double mean = v.Average();
        double var = v.Sum(x => (x - mean) * (x - mean)) / v.Length;
        return (v.Min(), v.Max(), mean, Math.Sqrt(var));
    }

    [Fact]
    public void KaimingUniform_ASqrt5_IsUniformOneOverSqrtFanIn()
    {
        var w = Init.KaimingUniform(Tensor.Zeros(256, 1024), new Rng(1), a: Math.Sqrt(5));
        var (min, max, mean, std) = Stats(w);
        double b = 1 / 32.0;
        Assert.InRange(min, -b, -b * 0.999);
        Assert.InRange(max, b * 0.999, b);
        Assert.InRange(mean, -b * 0.01, b * 0.01);
        Assert.InRange(std, b / Math.Sqrt(3) * 0.99, b / Math.Sqrt(3) * 1.01);
    }

    [Fact]
    public void LinearDefaultInit_WeightAndBiasWithinOneOverSqrtIn()
    {
        var lin = new Linear(400, 300, new Rng(2));
        double b = 1 / 20.0;
        var (wmin, wmax, _, wstd) = Stats(lin.Weight);
        Assert.True(wmin >= -b && wmax <= b && wmax > 0.99 * b);
        Assert.InRange(wstd, b / Math.Sqrt(3) * 0.98, b / Math.Sqrt(3) * 1.02);
        var (bmin, bmax, _, _) = Stats(lin.Bias!);
        Assert.True(bmin >= -b && bmax <= b && bmax > 0.9 * b);
    }

    [Fact]
    public void Conv2dDefaultInit_FanInIsChannelsPerGroupTimesKernel()
    {
        var conv = new Conv2d(32, 64, 5, new Rng(3), groups: 2); // fan_in = 16·25 = 400
        var (min, max, _, _) = Stats(conv.Weight);
        Assert.True(min >= -0.05 && max <= 0.05 && max > 0.049);
        Assert.Equal((400, 64 * 25), Init.FanInAndFanOut(conv.Weight));
    }

    [Fact]
    public void KaimingNormal_FanOutRelu_StdIsSqrt2OverFanOut()
    {
        var w = Init.KaimingNormal(Tensor.Zeros(64, 32, 3, 3), new Rng(4), mode: FanMode.FanOut, nonlinearity: "relu");
        var (_, _, mean, std) = Stats(w);
        double expected = Math.Sqrt(2.0 / (64 * 9));
        Assert.InRange(std, expected * 0.98, expected * 1.02);
        Assert.InRange(mean, -0.02 * expected, 0.02 * expected);
    }

    [Fact]
    public void XavierUniform_BoundFromFanInPlusFanOut()
    {
        var w = Init.XavierUniform(Tensor.Zeros(300, 500), new Rng(5));
        double b = Math.Sqrt(6.0 / 800);
        var (min, max, _, std) = Stats(w);
        Assert.True(min >= -b && max <= b && max > 0.999 * b);
        Assert.InRange(std, b / Math.Sqrt(3) * 0.99, b / Math.Sqrt(3) * 1.01);
    }

    [Fact]
    public void TruncNormal_StandardOnPlusMinus2_MatchesTruncatedMoments()
    {
        var w = Init.TruncNormal(Tensor.Zeros(200_000), new Rng(6));
        var (min, max, mean, std) = Stats(w);
        Assert.True(min >= -2 && max <= 2);
        Assert.InRange(mean, -0.01, 0.01);
        // Var of N(0,1) truncated to [-2, 2] = 1 - 2·2·φ(2)/(Φ(2) − Φ(−2)) = 0.773741.
        Assert.InRange(std, Math.Sqrt(0.773741) - 0.005, Math.Sqrt(0.773741) + 0.005);
    }

    [Fact]
    public void TruncNormal_TimmVitStd002_IsPlainNormalWithinAbsoluteBounds()
    {
        var w = Init.TruncNormal(Tensor.Zeros(100_000), new Rng(7), std: 0.02);
        var (_, _, mean, std) = Stats(w);
        Assert.InRange(mean, -0.0005, 0.0005);
        Assert.InRange(std, 0.0198, 0.0202);
    }

    [Fact]
    public void TruncNormal_OneSided_IsHalfNormal()
    {
        var w = Init.TruncNormal(Tensor.Zeros(100_000, 1), new Rng(8), a: 0, b: 50);
        var (min, _, mean, _) = Stats(w);
        Assert.True(min >= 0);
        Assert.InRange(mean, Math.Sqrt(2 / Math.PI) - 0.01, Math.Sqrt(2 / Math.PI) + 0.01);
    }

    [Fact]
    public void NormalQuantile_InvertsNormalCdf()
    {
        foreach (var x in new[] { -6.0, -3.1, -1.0, -0.2, 0.0, 0.7, 1.96, 4.5 })
        {
            Assert.InRange(Init.NormalQuantile(Init.NormalCdf(x)), x - 1e-5, x + 1e-5);
        }

        Assert.InRange(Init.NormalCdf(1.959963984540054), 0.975 - 1e-7, 0.975 + 1e-7);
    }

    [Fact]
    public void Init_SameSeed_SameValues_OtherSeed_Different()
    {
        var a = new Linear(10, 10, new Rng(42)).Weight.ToArray();
        var b = new Linear(10, 10, new Rng(42)).Weight.ToArray();
        var c = new Linear(10, 10, new Rng(43)).Weight.ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void CalculateGain_PyTorchValues()
    {
        Assert.Equal(1.0, Init.CalculateGain("conv2d"));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("relu"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
        Assert.Equal(Math.Sqrt(2.0 / (1 + 0.0001)), Init.CalculateGain("leaky_relu"), 12);
        Assert.Equal(Math.Sqrt(1.0 / 3), Init.CalculateGain("leaky_relu", Math.Sqrt(5)), 12);
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
    }

    [Fact]
    public void FanInAndFanOut_Rank1_Throws()
    {
        Assert.Throws<ArgumentException>(() => Init.FanInAndFanOut(Tensor.Zeros(5)));
    }

    [Fact]
    public void ConstantsAndNormInit_BatchNormAndLayerNormDefaults()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal([1f, 1f, 1f], bn.Weight!.ToArray());
        Assert.Equal([0f, 0f, 0f], bn.Bias!.ToArray());
        Assert.Equal([1f, 1f, 1f], bn.RunningVar!.ToArray());
        var ln = new LayerNorm([2, 3]);
        Assert.Equal([2, 3], ln.Weight!.Shape);
        Assert.All(ln.Weight.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Init.Constant(Tensor.Zeros(4), 0.5).ToArray(), v => Assert.Equal(0.5f, v));
    }
}
