namespace Offramp.Engine.Tests.Ops;

public class IndexTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void IndexSelect_PicksEntries_WithRepeats(DType dtype)
    {
        var m = Tensor.Arange(0, 12, 1, dtype).Reshape(3, 4);
        OpData.AssertValues(m.IndexSelect(1, [3, 0, 3]), [3, 3], [3, 0, 3, 7, 4, 7, 11, 8, 11]);
        OpData.AssertValues(m.IndexSelect(0, [2]), [1, 4], [8, 9, 10, 11]);
        OpData.AssertValues(m.IndexSelect(-1, []), [3, 0], []);
    }

    [Fact]
    public void IndexSelect_RepeatedIndex_AccumulatesGradient()
    {
        var m = Tensor.Full([3, 2], 1.0, DType.Float64).WithGrad();
        m.IndexSelect(0, [1, 1, 2]).Sum().Backward();
        OpData.AssertValues(m.Grad!, [3, 2], [0, 0, 2, 2, 1, 1]);
    }

    [Fact]
    public void IndexSelect_OutOfRange_Throws()
    {
        var m = Tensor.Zeros(3, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => m.IndexSelect(1, [0, 4]));
        Assert.Contains("(3, 4)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.IndexSelect(0, [-1]));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Cat_JoinsAlongAxis(DType dtype)
    {
        var a = Tensor.Arange(0, 6, 1, dtype).Reshape(2, 3);
        var b = Tensor.Arange(6, 10, 1, dtype).Reshape(2, 2);
        OpData.AssertValues(Tensor.Cat([a, b], 1), [2, 5], [0, 1, 2, 6, 7, 3, 4, 5, 8, 9]);
        OpData.AssertValues(Tensor.Cat([a, b.Reshape(4).Narrow(0, 0, 3).Reshape(1, 3)], 0), [3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        var empty = Tensor.Zeros([2, 0], dtype);
        OpData.AssertValues(Tensor.Cat([empty, a, empty], -1), [2, 3], [0, 1, 2, 3, 4, 5]);
    }

    [Fact]
    public void Cat_MismatchedShapes_NamesBoth()
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(3, 2);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Cat([a, b], 1));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(3, 2)", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Cat([a, Tensor.Zeros(6)], 0));
        Assert.Throws<ArgumentException>(() => Tensor.Cat([a, Tensor.Zeros([2, 3], DType.Float64)], 0));
        Assert.Throws<ArgumentException>(() => Tensor.Cat([], 0));
        Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Scalar(1)], 0));
    }

    [Fact]
    public void Stack_AddsAnAxis()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3 }, 3);
        var b = Tensor.FromArray(new float[] { 4, 5, 6 }, 3);
        OpData.AssertValues(Tensor.Stack([a, b]), [2, 3], [1, 2, 3, 4, 5, 6]);
        OpData.AssertValues(Tensor.Stack([a, b], -1), [3, 2], [1, 4, 2, 5, 3, 6]);
        Assert.Equal([2, 3, 2], Tensor.Stack([a.Reshape(1, 3).Expand(2, 3), b.Reshape(1, 3).Expand(2, 3)], 2).Shape);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Stack([a, Tensor.Zeros(4)]));
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    [GradCheckCase("index_select", "cat")]
    public void IndexSelectCat_PassGradCheck()
    {
        var x = TestUtil.R64(14, 3, 4);
        TestUtil.AssertGrad(t => t[0].IndexSelect(1, [2, 0, 2, 3]), x);
        TestUtil.AssertGrad(t => t[0].IndexSelect(0, [1]), x);
        var a = TestUtil.R64(15, 2, 3);
        var b = TestUtil.R64(16, 2, 1);
        var c = Tensor.Randn(new Rng(17), [2, 2], DType.Float64); // does not require grad
        TestUtil.AssertGrad(t => Tensor.Cat([t[0], t[1], t[2]], 1), a, b, c);
        TestUtil.AssertGrad(t => Tensor.Stack([t[0], t[0].Mul(t[0])], 1), a);
    }
}
