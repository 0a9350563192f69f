using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

public class NormDropoutLayerTests
{
    private static Tensor Input(ulong seed, params int[] shape) => Tensor.Randn(new Rng(seed), shape);

    [Fact]
    public void Dropout_Train_ZeroesOrScales_EvalIsIdentity()
    {
        var d = new Dropout(0.25, new Rng(3));
        var x = Tensor.Ones(4000);
        var y = d.Forward(x).ToArray();
        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - 1 / 0.75f) < 1e-6));
        double dropped = y.Count(v => v == 0f) / 4000.0;
        Assert.InRange(dropped, 0.22, 0.28);
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void Dropout_SameSeed_SameMask()
    {
        var x = Tensor.Ones(64);
        Assert.Equal(new Dropout(0.5, new Rng(9)).Forward(x).ToArray(), new Dropout(0.5, new Rng(9)).Forward(x).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5, new Rng(1)));
    }

    [Fact]
    public void DropPath_Train_DropsWholeSamples_EvalIsIdentity()
    {
        var dp = new DropPath(0.5, new Rng(5));
        var y = dp.Forward(Tensor.Ones(64, 3, 2)).ToArray();
        for (int n = 0; n < 64; n++)
        {
            var sample = y.AsSpan(n * 6, 6).ToArray();
            Assert.True(sample.All(v => v == 0f) || sample.All(v => v == 2f), $"sample {n}: [{string.Join(", ", sample)}]");
        }

        dp.Eval();
        var x = Tensor.Ones(2, 3);
        Assert.Same(x, dp.Forward(x));
    }

    [Fact]
    public void BatchNorm2d_Train_UpdatesRunningStatsAndCount_EvalUsesThem()
    {
        var bn = new BatchNorm2d(2);
        var x = Input(1, 4, 2, 3, 3);
        var y = bn.Forward(x);
        Assert.Equal(x.Shape, y.Shape);
        Assert.Equal(1.0, bn.NumBatchesTracked!.Item());
        var mean0 = Enumerable.Range(0, 4).SelectMany(n => Enumerable.Range(0, 9).Select(i => x[n, 0, i / 3, i % 3])).Average();
        Assert.Equal(0.1 * mean0, bn.RunningMean!.GetFlat(0), 5);

        // Training output is normalised per channel: mean 0 over (N, H, W).
        var y0 = Enumerable.Range(0, 4).SelectMany(n => Enumerable.Range(0, 9).Select(i => y[n, 0, i / 3, i % 3])).Average();
        Assert.InRange(y0, -1e-5, 1e-5);

        bn.Eval();
        var before = bn.RunningMean.ToArray();
        var z = bn.Forward(x);
        Assert.Equal(1.0, bn.NumBatchesTracked.Item());
        Assert.Equal(before, bn.RunningMean.ToArray());
        double expected = (x[0, 1, 0, 0] - bn.RunningMean.GetFlat(1)) / Math.Sqrt(bn.RunningVar!.GetFlat(1) + 1e-5);
        Assert.Equal(expected, z[0, 1, 0, 0], 5);
    }

    [Fact]
    public void BatchNorm1d_MomentumNone_CumulativeAverage()
    {
        var bn = new BatchNorm1d(1, momentum: null);
        bn.Forward(Tensor.FromArray([1f, 3f], 2, 1));
        bn.Forward(Tensor.FromArray([5f, 7f], 2, 1));
        Assert.Equal(2.0, bn.NumBatchesTracked!.Item());
        Assert.Equal(4.0, bn.RunningMean!.GetFlat(0), 5);
        Assert.Equal(2.0, bn.RunningVar!.GetFlat(0), 5); // unbiased variances 2 and 2
    }

    [Fact]
    public void BatchNorm_NoTracking_AlwaysBatchStats_NoBuffers()
    {
        var bn = new BatchNorm1d(3, affine: false, trackRunningStats: false);
        Assert.Empty(bn.StateDict());
        bn.Eval();
        var y = bn.Forward(Input(2, 5, 3));
        var col = Enumerable.Range(0, 5).Select(n => y[n, 1]).Average();
        Assert.InRange(col, -1e-5, 1e-5);
    }

    [Fact]
    public void BatchNorm_WrongInput_MessageNamesShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros(2, 4, 5, 5)));
        Assert.Contains("(2, 4, 5, 5)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(2, 3, 4, 4)));
    }

    [Fact]
    public void LayerNorm_ForwardBackward_GradsReachWeightAndBias()
    {
        var ln = new LayerNorm(6);
        var x = Input(3, 2, 4, 6).WithGrad();
        var y = ln.Forward(x);
        Assert.Equal([2, 4, 6], y.Shape);
        y.Mul(Input(4, 2, 4, 6)).Sum().Backward();
        Assert.NotNull(x.Grad);
        Assert.NotNull(ln.Weight!.Grad);
        Assert.NotNull(ln.Bias!.Grad);
        var ex = Assert.Throws<ArgumentException>(() => ln.Forward(Tensor.Zeros(2, 5)));
        Assert.Contains("(2, 5)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchNorm2d_Backward_GradsReachWeightAndBias()
    {
        var bn = new BatchNorm2d(3);
        var x = Input(5, 2, 3, 4, 4).WithGrad();
        bn.Forward(x).Mul(Input(6, 2, 3, 4, 4)).Sum().Backward();
        Assert.All(new[] { x, bn.Weight!, bn.Bias! }, t => Assert.True(t.Grad is not null && t.Grad.ToArray().Any(v => v != 0)));
    }
}
