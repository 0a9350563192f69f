namespace Offramp.Engine.Tests.Ops;

public class ActivationTests
{
    private static readonly double[] X = [-3, -1, -0.5, 0.5, 1, 2];

    // Reference values from mpmath at 40 digits.
    [Fact]
    public void Gelu_Exact_MatchesHighPrecisionValues()
    {
        double[] expected = [-0.00404969409489028358, -0.15865525393145705141, -0.15426876936299344818,
            0.34573123063700655182, 0.84134474606854294859, 1.9544997361036415856];
        foreach (var x in OpData.BothTypes(X, 6))
        {
            OpData.AssertValues(x.Gelu(), [6], expected);
        }
    }

    [Fact]
    public void Gelu_Tanh_MatchesHighPrecisionValues()
    {
        double[] expected = [-0.0036373920817730188378, -0.15880800939172329522, -0.15428599017485607796,
            0.34571400982514392204, 0.84119199060827670478, 1.9545976940877750188];
        foreach (var x in OpData.BothTypes(X, 6))
        {
            OpData.AssertValues(x.Gelu(tanhApproximation: true), [6], expected);
        }
    }

    [Fact]
    public void SiluSigmoidTanh_MatchHighPrecisionValues()
    {
        double[] silu = [-0.14227761953270034264, -0.26894142136999512075, -0.18877033439907271768,
            0.31122966560092728232, 0.73105857863000487925, 1.7615941559557648881];
        foreach (var x in OpData.BothTypes(X, 6))
        {
            OpData.AssertValues(x.Silu(), [6], silu);
            OpData.AssertValues(x.Sigmoid(), [6], [.. X.Select(v => 1 / (1 + Math.Exp(-v)))]);
            OpData.AssertValues(x.Tanh(), [6], [.. X.Select(Math.Tanh)]);
        }
    }

    [Fact]
    public void ReluHardswishHardsigmoidElu_HandValues()
    {
        foreach (var x in OpData.BothTypes([-4, -3, -1, 0, 1, 3, 4], 7))
        {
            OpData.AssertValues(x.Relu(), [7], [0, 0, 0, 0, 1, 3, 4]);
            OpData.AssertValues(x.Hardswish(), [7], [0, 0, -1.0 / 3, 0, 2.0 / 3, 3, 4]);
            OpData.AssertValues(x.Hardsigmoid(), [7], [0, 0, 1.0 / 3, 0.5, 2.0 / 3, 1, 1]);
            OpData.AssertValues(x.Elu(), [7], [Math.Exp(-4) - 1, Math.Exp(-3) - 1, -0.6321205588285576784, 0, 1, 3, 4]);
            OpData.AssertValues(x.Elu(2.0), [7], [2 * (Math.Exp(-4) - 1), 2 * (Math.Exp(-3) - 1), 2 * -0.6321205588285576784, 0, 1, 3, 4]);
        }
    }

    [Fact]
    public void Relu_NaN_Propagates()
    {
        Assert.True(double.IsNaN(Tensor.FromArray(new[] { float.NaN }, 1).Relu().Item()));
    }

    [Fact]
    public void Float32_AgreesWithFloat64_OnRandomInputs()
    {
        var x64 = Tensor.Randn(new Rng(9), [257], DType.Float64).Mul(3.0);
        var x32 = x64.ToDType(DType.Float32);
        Func<Tensor, Tensor>[] ops = [t => t.Relu(), t => t.Gelu(), t => t.Gelu(true), t => t.Silu(), t => t.Sigmoid(),
            t => t.Tanh(), t => t.Hardswish(), t => t.Hardsigmoid(), t => t.Elu(0.7)];
        foreach (var op in ops)
        {
            TestUtil.AssertClose(op(x64), op(x32), 2e-6, 2e-6, "float32 vs float64");
        }
    }

    [Fact]
    public void Gradients_AtBoundaries_FollowPyTorch()
    {
        var x = Tensor.FromArray(new double[] { -4, -3, 0, 3, 4 }, 5).WithGrad();
        x.Relu().Sum().Backward();
        OpData.AssertValues(x.Grad!, [5], [0, 0, 0, 1, 1]); // relu'(0) = 0
        x.Grad = null;
        x.Hardswish().Sum().Backward();
        OpData.AssertValues(x.Grad!, [5], [0, -0.5, 0.5, 1.5, 1]); // (2x+3)/6 on [−3, 3]
        x.Grad = null;
        x.Hardsigmoid().Sum().Backward();
        OpData.AssertValues(x.Grad!, [5], [0, 0, 1.0 / 6, 0, 0]); // 1/6 strictly inside (−3, 3)
        x.Grad = null;
        x.Elu(2.0).Sum().Backward();
        OpData.AssertValues(x.Grad!, [5], [2 * Math.Exp(-4), 2 * Math.Exp(-3), 2, 1, 1]); // x ≤ 0: α·eˣ
    }

    [Fact]
    public void Gradients_Float32_MatchFloat64()
    {
        var x64 = Tensor.Randn(new Rng(10), [67], DType.Float64).Mul(3.0).WithGrad();
        var x32 = x64.ToDType(DType.Float32).WithGrad();
        Func<Tensor, Tensor>[] ops = [t => t.Gelu(), t => t.Gelu(true), t => t.Silu(), t => t.Sigmoid(), t => t.Tanh(), t => t.Elu()];
        foreach (var op in ops)
        {
            x64.Grad = x32.Grad = null;
            op(x64).Sum().Backward();
            op(x32).Sum().Backward();
            TestUtil.AssertClose(x64.Grad!, x32.Grad!, 2e-6, 2e-6, "gradient float32 vs float64");
        }
    }

    [Fact]
    [GradCheckCase("gelu", "silu", "sigmoid", "tanh")]
    public void Smooth_PassGradCheck()
    {
        var x = OpData.Away(11, [3, 5], 2.5);
        TestUtil.AssertGrad(t => t[0].Gelu(), x);
        TestUtil.AssertGrad(t => t[0].Gelu(tanhApproximation: true), x);
        TestUtil.AssertGrad(t => t[0].Silu(), x);
        TestUtil.AssertGrad(t => t[0].Sigmoid(), x);
        TestUtil.AssertGrad(t => t[0].Tanh(), x);
    }

    [Fact]
    [GradCheckCase("relu", "hardswish", "hardsigmoid", "elu")]
    public void Kinked_AwayFromKinks_PassGradCheck()
    {
        var x = OpData.Away(12, [3, 5], 3, -3, 0, 3);
        TestUtil.AssertGrad(t => t[0].Relu(), x);
        TestUtil.AssertGrad(t => t[0].Hardswish(), x);
        TestUtil.AssertGrad(t => t[0].Hardsigmoid(), x);
        TestUtil.AssertGrad(t => t[0].Elu(), x);
        TestUtil.AssertGrad(t => t[0].Elu(0.4), x);
    }
}
