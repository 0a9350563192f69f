using Offramp.Engine.Functional;

namespace Offramp.Engine.Tests.Functional;

public class LinearTests
{
    [Theory]
    [GradCheckCase("linear")]
    [InlineData(new[] { 3, 4 }, 5, true)]
    [InlineData(new[] { 2, 3, 4 }, 2, true)]
    [InlineData(new[] { 4 }, 3, true)]
    [InlineData(new[] { 3, 4 }, 5, false)]
    public void Linear_Shapes_PassesGradCheck(int[] xs, int outF, bool bias)
    {
        var x = TestUtil.R64(1, xs);
        var w = TestUtil.R64(2, outF, xs[^1]);
        if (bias)
        {
            TestUtil.AssertGrad(t => F.Linear(t[0], t[1], t[2]), x, w, TestUtil.R64(3, outF));
        }
        else
        {
            TestUtil.AssertGrad(t => F.Linear(t[0], t[1]), x, w);
        }
    }

    [Theory]
    [InlineData(64, 192, 768)]
    [InlineData(7, 33, 17)]
    [InlineData(1, 1, 1)]
    [InlineData(130, 65, 3)]
    public void LinearFloat32_MatchesMatMulDefinitionInFloat64(int rows, int inF, int outF)
    {
        var x64 = Tensor.Randn(new Rng(4), [rows, inF], DType.Float64).WithGrad();
        var w64 = Tensor.Randn(new Rng(5), [outF, inF], DType.Float64).WithGrad();
        var b64 = Tensor.Randn(new Rng(6), [outF], DType.Float64).WithGrad();
        var x32 = x64.ToDType(DType.Float32).WithGrad();
        var w32 = w64.ToDType(DType.Float32).WithGrad();
        var b32 = b64.ToDType(DType.Float32).WithGrad();

        // Oracle: x·Wᵀ + b from the definition, in float64 (Wᵀ built by hand: no transpose op needed).
        var wt = new double[inF * outF];
        var wv = w64.ToDoubleArray();
        for (int o = 0; o < outF; o++)
        {
            for (int i = 0; i < inF; i++)
            {
                wt[(i * outF) + o] = wv[(o * inF) + i];
            }
        }

        var expected = x64.Detach().MatMul(Tensor.FromArray(wt, inF, outF)).Add(b64.Detach());
        var y64 = F.Linear(x64, w64, b64);
        var y32 = F.Linear(x32, w32, b32);
        TestUtil.AssertClose(expected, y64, 1e-10, 1e-10, "float64");
        TestUtil.AssertClose(expected, y32, 1e-4 * Math.Sqrt(inF), 1e-4, "float32");

        var g = Tensor.Randn(new Rng(7), [rows, outF], DType.Float64);
        y64.Backward(g);
        y32.Backward(g.ToDType(DType.Float32));
        TestUtil.AssertClose(x64.Grad!, x32.Grad!, 1e-4 * Math.Sqrt(outF), 1e-4, "dX");
        TestUtil.AssertClose(w64.Grad!, w32.Grad!, 1e-4 * Math.Sqrt(rows), 1e-4, "dW");
        TestUtil.AssertClose(b64.Grad!, b32.Grad!, 1e-4 * Math.Sqrt(rows), 1e-4, "db");
    }

    [Fact]
    public void LinearAndConv_EmptyDimensions_GiveEmptyOrZeroResults()
    {
        var x = Tensor.Zeros(0, 4).WithGrad();
        var w = Tensor.Ones(3, 4).WithGrad();
        var b = Tensor.Ones(3).WithGrad();
        var y = F.Linear(x, w, b);
        Assert.Equal(new[] { 0, 3 }, y.Shape);
        y.Sum().Backward();
        Assert.All(w.Grad!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(b.Grad!.ToArray(), v => Assert.Equal(0f, v));

        // No input features: y = b.
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1 }, F.Linear(Tensor.Zeros(2, 0), Tensor.Zeros(3, 0), Tensor.Ones(3)).ToArray());
        Assert.Equal(new[] { 2, 0 }, Tensor.Zeros(2, 0).MatMul(Tensor.Zeros(0, 0)).Shape);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, Tensor.Zeros(2, 0).MatMul(Tensor.Zeros(0, 2)).ToArray());

        var cx = Tensor.Zeros(0, 2, 5, 5).WithGrad();
        var cw = Tensor.Ones(3, 2, 3, 3).WithGrad();
        var cy = F.Conv2d(cx, cw, null, 1, 1);
        Assert.Equal(new[] { 0, 3, 5, 5 }, cy.Shape);
        cy.Sum().Backward();
        Assert.All(cw.Grad!.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Linear_WrongFeatures_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(32, 28, 28), Tensor.Zeros(10, 784)));
        Assert.Equal("linear: input (32, 28, 28) has 28 features but weight (10, 784) expects 784", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(4)));
        Assert.Contains("bias (4,)", ex.Message, StringComparison.Ordinal);
    }
}
