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

/// <summary>
/// <see cref="F.LinearEpilogue"/> (GELU or a residual applied to the GEMM tiles as they are written) against the
/// separate ops, bit for bit, and the modules that use it in inference (Mlp, Attention) against their composition.
/// </summary>
public class LinearEpilogueTests
{
    public static TheoryData<int, int, int, bool> Shapes() => new()
    {
        { 1, 1, 1, true },
        { 65, 576, 192, true },      // a vit qkv at batch 1
        { 130, 768, 192, false },    // no bias
        { 7, 33, 300, true },        // two k blocks, odd width (edge tiles, a 1-column tail)
        { 300, 97, 31, true },       // several row blocks, odd width
        { 3, 50, 0, true },          // k = 0: the bias alone
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LinearEpilogue_BitIdenticalToLinearThenGeluOrAdd(int rows, int outF, int inF, bool bias)
    {
        var x = Tensor.Randn(new Rng(1), [rows, inF]);
        var w = Tensor.Randn(new Rng(2), [outF, inF]);
        var b = bias ? Tensor.Randn(new Rng(3), [outF]) : null;
        var r = Tensor.Randn(new Rng(4), [rows, outF]);
        var lin = F.Linear(x, w, b);
        Assert.Equal(lin.Gelu().ToArray(), F.LinearEpilogue(x, w, b, gelu: true).ToArray());
        Assert.Equal(r.Add(lin).ToArray(), F.LinearEpilogue(x, w, b, r).ToArray());
        Assert.Equal(lin.ToArray(), F.LinearEpilogue(x, w, b).ToArray());
    }

    [Fact]
    public void LinearEpilogue_WithAGraph_RunsTheSeparateOpsAndPassesGradients()
    {
        var x = Tensor.Randn(new Rng(5), [4, 6]).WithGrad();
        var w = Tensor.Randn(new Rng(6), [5, 6]).WithGrad();
        var b = Tensor.Randn(new Rng(7), [5]).WithGrad();
        F.LinearEpilogue(x, w, b, gelu: true).Sum().Backward();
        var gw = w.Grad!.ToArray();
        w.Grad = null;
        F.Linear(x, w, b).Gelu().Sum().Backward();
        Assert.Equal(w.Grad!.ToArray(), gw);

        var x64 = TestUtil.R64(8, 3, 4);
        var w64 = TestUtil.R64(9, 2, 4);
        var r64 = TestUtil.R64(10, 3, 2);
        TestUtil.AssertGrad(t => F.LinearEpilogue(t[0], t[1], t[2], t[3]), x64, w64, TestUtil.R64(11, 2), r64);
    }

    [Fact]
    public void LinearEpilogue_BadInput_Throws()
    {
        var x = Tensor.Randn(new Rng(1), [2, 3]);
        var w = Tensor.Randn(new Rng(2), [4, 3]);
        using var noGrad = Offramp.Engine.Autograd.NoGrad();
        var e = Assert.Throws<ArgumentException>(() => F.LinearEpilogue(x, w, null, Tensor.Zeros(2, 5)));
        Assert.Contains("residual (2, 5) is not the output's shape (2, 4)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => F.LinearEpilogue(x, w, null, Tensor.Zeros(2, 4), gelu: true));
        var eb = Assert.Throws<ArgumentException>(() => F.LinearEpilogue(x, w, Tensor.Zeros(3)));
        Assert.Contains("bias (3,)", eb.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MlpAndAttention_InferenceWithResidual_BitIdenticalToTheirComposition()
    {
        var rng = new Rng(12);
        var mlp = new Offramp.Engine.Nn.Mlp(24, rng, hiddenFeatures: 96);
        var attn = new Offramp.Engine.Nn.Attention(24, rng, 3, qkvBias: true);
        mlp.Eval();
        attn.Eval();
        var x = Tensor.Randn(new Rng(13), [2, 9, 24]);
        using var noGrad = Offramp.Engine.Autograd.NoGrad();
        var mlpPlain = mlp.Fc2.Forward(mlp.Fc1.Forward(x).Gelu());
        Assert.Equal(mlpPlain.ToArray(), mlp.Forward(x).ToArray());
        Assert.Equal(x.Add(mlpPlain).ToArray(), mlp.Forward(x, x).ToArray());

        var qkv = attn.Qkv.Forward(x);
        var o = F.PackedAttention(qkv, 0, qkv, 24, qkv, 48, 3, 8, null, 0, null);
        var attnPlain = attn.Proj.Forward(o);
        Assert.Equal(attnPlain.ToArray(), attn.Forward(x).ToArray());
        Assert.Equal(x.Add(attnPlain).ToArray(), attn.Forward(x, null, x).ToArray());
    }
}
