namespace Offramp.Engine.Tests.Ops;

public class MathOpTests
{
    [Fact]
    public void Pow_Scalar_HandValuesIncludingNegativeBases()
    {
        foreach (var x in OpData.BothTypes([-2, -1, 0, 0.5, 3], 5))
        {
            OpData.AssertValues(x.Pow(2), [5], [4, 1, 0, 0.25, 9]);
            OpData.AssertValues(x.Pow(3), [5], [-8, -1, 0, 0.125, 27]);
            OpData.AssertValues(x.Pow(0), [5], [1, 1, 1, 1, 1]);
            OpData.AssertValues(x.Pow(0.5), [5], [double.NaN, double.NaN, 0, Math.Sqrt(0.5), Math.Sqrt(3)]);
        }
    }

    [Fact]
    public void Pow_Tensor_BroadcastsLikeTorch()
    {
        foreach (var a in OpData.BothTypes([1, 2, 3, 4], 2, 2))
        {
            var b = Tensor.FromArray(new double[] { 2, 0.5 }, 2).ToDType(a.DType);
            OpData.AssertValues(a.Pow(b), [2, 2], [1, Math.Sqrt(2), 9, 2]);
            var two = Tensor.Scalar(2, a.DType);
            OpData.AssertValues(two.Pow(a), [2, 2], [2, 4, 8, 16]);
        }
    }

    [Fact]
    public void ExpLogSqrtAbs_HandValues()
    {
        foreach (var x in OpData.BothTypes([0, 1, 2, 4], 4))
        {
            OpData.AssertValues(x.Exp(), [4], [1, Math.E, Math.Exp(2), Math.Exp(4)]);
            OpData.AssertValues(x.Log(), [4], [double.NegativeInfinity, 0, Math.Log(2), Math.Log(4)]);
            OpData.AssertValues(x.Sqrt(), [4], [0, 1, Math.Sqrt(2), 2]);
            OpData.AssertValues(x.Neg().Abs(), [4], [0, 1, 2, 4]);
        }
    }

    [Fact]
    public void Clamp_BoundsAndPyTorchEdgeCases()
    {
        foreach (var x in OpData.BothTypes([-2, -0.5, 0.5, 2, double.NaN], 5))
        {
            OpData.AssertValues(x.Clamp(-1, 1), [5], [-1, -0.5, 0.5, 1, double.NaN]);
            OpData.AssertValues(x.Clamp(0, null), [5], [0, 0, 0.5, 2, double.NaN]);
            OpData.AssertValues(x.Clamp(null, 0), [5], [-2, -0.5, 0, 0, double.NaN]);
            OpData.AssertValues(x.Clamp(1, -1), [5], [-1, -1, -1, -1, double.NaN]); // min > max: all max
        }

        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3).Clamp(null, null));
        Assert.Contains("(2, 3)", e.Message);
    }

    [Fact]
    public void Clamp_Gradient_PassesOnBoundsInclusive()
    {
        var x = Tensor.FromArray(new double[] { -2, -1, 0, 1, 2 }, 5).WithGrad();
        x.Clamp(-1, 1).Sum().Backward();
        OpData.AssertValues(x.Grad!, [5], [0, 1, 1, 1, 0]);
    }

    [Fact]
    public void MinimumMaximum_ValuesAndNaN()
    {
        foreach (var a in OpData.BothTypes([1, 5, -2, double.NaN], 4))
        {
            var b = Tensor.FromArray(new double[] { 3, 2, -2, 0 }, 4).ToDType(a.DType);
            OpData.AssertValues(a.Maximum(b), [4], [3, 5, -2, double.NaN]);
            OpData.AssertValues(a.Minimum(b), [4], [1, 2, -2, double.NaN]);
        }
    }

    [Fact]
    public void MinimumMaximum_Ties_SplitGradientHalfHalf()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3 }, 3).WithGrad();
        var b = Tensor.FromArray(new double[] { 1, 5, 0 }, 3).WithGrad();
        a.Maximum(b).Sum().Backward();
        OpData.AssertValues(a.Grad!, [3], [0.5, 0, 1]);
        OpData.AssertValues(b.Grad!, [3], [0.5, 1, 0]);
        a.Grad = b.Grad = null;
        a.Minimum(b).Sum().Backward();
        OpData.AssertValues(a.Grad!, [3], [0.5, 1, 0]);
        OpData.AssertValues(b.Grad!, [3], [0.5, 0, 1]);
    }

    [Fact]
    public void Maximum_BroadcastTies_SumHalvesBack()
    {
        // b (scalar 2) ties with two elements of a: its gradient is 1 (a < b) + ½ + ½.
        var a = Tensor.FromArray(new double[] { 1, 2, 2, 3 }, 4).WithGrad();
        var b = Tensor.Scalar(2, DType.Float64).WithGrad();
        a.Maximum(b).Sum().Backward();
        OpData.AssertValues(a.Grad!, [4], [0, 0.5, 0.5, 1]);
        OpData.AssertValues(b.Grad!, [], [2]);
    }

    [Fact]
    [GradCheckCase("pow", "exp", "log", "sqrt")]
    public void SmoothUnary_PassGradCheck()
    {
        var pos = OpData.Uniform64(1, [2, 3], 0.5, 2.0);
        var any = TestUtil.R64(2, 2, 3);
        TestUtil.AssertGrad(x => x[0].Pow(2.5), pos);
        TestUtil.AssertGrad(x => x[0].Pow(-1.5), pos);
        TestUtil.AssertGrad(x => x[0].Pow(3), any);
        TestUtil.AssertGrad(x => x[0].Pow(2), any);
        TestUtil.AssertGrad(x => x[0].Pow(0), any);
        TestUtil.AssertGrad(x => x[0].Exp(), any);
        TestUtil.AssertGrad(x => x[0].Log(), pos);
        TestUtil.AssertGrad(x => x[0].Sqrt(), pos);
    }

    [Theory]
    [GradCheckCase("pow_tensor")]
    [InlineData(new[] { 2, 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 3 }, new[] { 3 })]
    [InlineData(new[] { 3 }, new[] { 2, 1 })]
    public void PowTensor_Broadcast_PassesGradCheck(int[] sa, int[] sb)
    {
        var a = OpData.Uniform64(3, sa, 0.5, 2.0);
        var b = TestUtil.R64(4, sb);
        TestUtil.AssertGrad(x => x[0].Pow(x[1]), a, b);
    }

    [Fact]
    [GradCheckCase("abs", "clamp")]
    public void Kinked_AwayFromKinks_PassGradCheck()
    {
        TestUtil.AssertGrad(x => x[0].Abs(), OpData.Away(5, [3, 4], 1, 0));
        var c = OpData.Away(6, [3, 4], 1.5, -0.5, 1.0);
        TestUtil.AssertGrad(x => x[0].Clamp(-0.5, 1.0), c);
        TestUtil.AssertGrad(x => x[0].Clamp(-0.5, null), c);
        TestUtil.AssertGrad(x => x[0].Clamp(null, 1.0), c);
    }

    [Theory]
    [GradCheckCase("minimum", "maximum")]
    [InlineData(new[] { 2, 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 3 }, new[] { 3 })]
    [InlineData(new[] { 2, 1 }, new[] { 1, 3 })]
    public void MinimumMaximum_Broadcast_PassGradCheck(int[] sa, int[] sb)
    {
        // Distinct values (no ties): the function is smooth at every point checked.
        var a = TestUtil.R64(7, sa);
        var b = TestUtil.R64(8, sb);
        TestUtil.AssertGrad(x => x[0].Maximum(x[1]), a, b);
        TestUtil.AssertGrad(x => x[0].Minimum(x[1]), a, b);
    }
}
