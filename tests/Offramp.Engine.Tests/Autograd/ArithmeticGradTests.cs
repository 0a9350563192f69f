namespace Offramp.Engine.Tests.Autograd;

public class ArithmeticGradTests
{
    [Theory]
    [GradCheckCase("add", "sub", "mul", "div")]
    [InlineData(new[] { 2, 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new[] { 1, 3 }, new[] { 4, 1 })]
    [InlineData(new[] { 2, 1, 4 }, new int[0])]
    public void Arithmetic_Broadcast_PassesGradCheck(int[] sa, int[] sb)
    {
        var a = TestUtil.R64(1, sa);
        var b = TestUtil.R64(2, sb);
        TestUtil.AssertGrad(x => x[0].Add(x[1]), a, b);
        TestUtil.AssertGrad(x => x[0].Sub(x[1]), a, b);
        TestUtil.AssertGrad(x => x[0].Mul(x[1]), a, b);
        var bPos = Tensor.Rand(new Rng(3), sb, DType.Float64).Add(0.5).Detach().WithGrad();
        TestUtil.AssertGrad(x => x[0].Div(x[1]), a, bPos);
    }

    [Fact]
    [GradCheckCase("neg", "sum", "reshape", "expand")]
    public void UnaryAndShape_PassGradCheck()
    {
        var a = TestUtil.R64(4, 2, 3, 4);
        TestUtil.AssertGrad(x => x[0].Neg(), a);
        TestUtil.AssertGrad(x => x[0].Sum([1], keepDim: false), a);
        TestUtil.AssertGrad(x => x[0].Sum([0, 2], keepDim: true), a);
        TestUtil.AssertGrad(x => x[0].Sum(), a);
        TestUtil.AssertGrad(x => x[0].Reshape(4, -1), a);
        TestUtil.AssertGrad(x => x[0].Reshape(2, 1, 3, 4).Expand(2, 5, 3, 4), a);
    }

    [Fact]
    public void GradCheck_WrongBackward_Fails()
    {
        // A deliberately wrong rule (gradient doubled) must be caught: the checker can fail.
        var a = TestUtil.R64(5, 3);
        var r = GradCheck.Check(x =>
        {
            var y = x[0].Detach().Mul(2.0);
            if (Engine.Autograd.ShouldRecord(x[0]))
            {
                Engine.Autograd.Record(y, "wrong", [x[0]], g => [g.Mul(4.0)]);
            }

            return y;
        }, [a]);
        Assert.False(r.Passed);
    }

    [Fact]
    public void Backward_SharedInput_AccumulatesGradients()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3 }, 3).WithGrad();
        var y = a.Mul(a).Add(a).Sum(); // d/da = 2a + 1
        y.Backward();
        Assert.Equal(new float[] { 3, 5, 7 }, a.Grad!.ToArray());
    }

    [Fact]
    public void NoGrad_RecordsNothing()
    {
        var a = Tensor.Ones(3).WithGrad();
        using (Engine.Autograd.NoGrad())
        {
            var y = a.Mul(a);
            Assert.Null(y.GradFn);
            Assert.False(y.RequiresGrad);
        }
    }
}
