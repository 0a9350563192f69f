using Offramp.Engine.Functional;
using Offramp.Engine.Nn;
using Offramp.Engine.Optim;

namespace Offramp.Engine.Tests.Nn;

/// <summary>Forward shapes and values of the layers, and gradients reaching every parameter.</summary>
public class LayerForwardTests
{
    private static Tensor Input(ulong seed, params int[] shape) => Tensor.Randn(new Rng(seed), shape);

    private static void AssertEveryParameterHasGrad(Module m)
    {
        foreach (var (name, p) in m.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{name} got no gradient");
            Assert.True(p.Grad.ToArray().Any(v => v != 0), $"{name} got an all-zero gradient");
        }
    }

    [Fact]
    public void Linear_Forward_HandComputed_AnyLeadingDims()
    {
        var lin = new Linear(2, 3, new Rng(1));
        lin.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray([1f, 0f, 0f, 1f, 1f, 1f], 3, 2),
            ["bias"] = Tensor.FromArray([0.5f, -0.5f, 0f], 3),
        });
        var y = lin.Forward(Tensor.FromArray([2f, 3f], 1, 2));
        Assert.Equal([2.5f, 2.5f, 5f], y.ToArray());
        Assert.Equal([4, 5, 3], lin.Forward(Input(1, 4, 5, 2)).Shape);
    }

    [Fact]
    public void Conv2d_Forward_OutputShapes()
    {
        var rng = new Rng(1);
        Assert.Equal([2, 8, 16, 16], new Conv2d(3, 8, 3, rng, stride: 2, padding: 1).Forward(Input(1, 2, 3, 32, 32)).Shape);
        Assert.Equal([1, 6, 6, 6], new Conv2d(6, 6, 3, rng, padding: 2, dilation: 2, groups: 6).Forward(Input(2, 1, 6, 6, 6)).Shape);
        Assert.Equal([1, 4, 5, 7], new Conv2d(2, 4, 1, rng).Forward(Input(3, 1, 2, 5, 7)).Shape);
    }

    [Fact]
    public void Pools_Forward_OutputShapes()
    {
        var x = Input(1, 2, 3, 9, 8);
        Assert.Equal([2, 3, 5, 4], new MaxPool2d(3, 2, 1).Forward(x).Shape);
        Assert.Equal([2, 3, 4, 4], new AvgPool2d(2).Forward(x).Shape);
        Assert.Equal([2, 3, 1, 1], new AdaptiveAvgPool2d(1).Forward(x).Shape);
        Assert.Equal([2, 3, 3, 2], new AdaptiveMaxPool2d(3, 2).Forward(x).Shape);
        Assert.Equal([2, 216], new Flatten().Forward(x).Shape);
        Assert.Equal([2, 3, 72], new Flatten(2).Forward(x).Shape);
    }

    [Fact]
    public void Activations_ValuesAtChosenPoints()
    {
        var x = Tensor.FromArray([-2f, 0f, 1f], 3);
        TestUtil.AssertClose([0f, 0f, 1f], new ReLU().Forward(x).ToArray(), 1e-6, 0, "relu");
        TestUtil.AssertClose([-0.0455003f, 0f, 0.8413447f], new GELU().Forward(x).ToArray(), 1e-6, 0, "gelu");
        TestUtil.AssertClose([-0.0454023f, 0f, 0.8411920f], new GELU("tanh").Forward(x).ToArray(), 1e-6, 0, "gelu tanh");
        TestUtil.AssertClose([-0.2384058f, 0f, 0.7310586f], new SiLU().Forward(x).ToArray(), 1e-6, 0, "silu");
        TestUtil.AssertClose([0.1192029f, 0.5f, 0.7310586f], new Sigmoid().Forward(x).ToArray(), 1e-6, 0, "sigmoid");
        TestUtil.AssertClose([-0.9640276f, 0f, 0.7615942f], new Tanh().Forward(x).ToArray(), 1e-6, 0, "tanh");
        TestUtil.AssertClose([-0.3333333f, 0f, 0.6666667f], new Hardswish().Forward(x).ToArray(), 1e-6, 0, "hardswish");
        TestUtil.AssertClose([0.1666667f, 0.5f, 0.6666667f], new Hardsigmoid().Forward(x).ToArray(), 1e-6, 0, "hardsigmoid");
        TestUtil.AssertClose([-0.8646647f, 0f, 1f], new ELU().Forward(x).ToArray(), 1e-6, 0, "elu");
        Assert.Same(x, new Identity().Forward(x));
    }

    [Fact]
    public void Mlp_ForwardShape_GradsReachEveryParameter()
    {
        var mlp = new Mlp(8, new Rng(1), 16, 4, drop: 0.1);
        var y = mlp.Forward(Input(1, 2, 5, 8));
        Assert.Equal([2, 5, 4], y.Shape);
        y.Mul(Input(2, 2, 5, 4)).Sum().Backward();
        AssertEveryParameterHasGrad(mlp);
    }

    [Fact]
    public void Attention_ForwardShape_GradsReachEveryParameter()
    {
        var a = new Attention(12, new Rng(1), numHeads: 3, qkvBias: true, qkNorm: true);
        var x = Input(1, 2, 5, 12).WithGrad();
        var y = a.Forward(x);
        Assert.Equal([2, 5, 12], y.Shape);
        y.Mul(Input(2, 2, 5, 12)).Sum().Backward();
        AssertEveryParameterHasGrad(a);
        Assert.NotNull(x.Grad);
    }

    [Fact]
    public void CrossAttention_QueriesFromX_KeysValuesFromContext()
    {
        var a = new CrossAttention(8, new Rng(1), numHeads: 2, kdim: 6, qkvBias: true);
        var x = Input(1, 2, 4, 8);
        var ctx = Input(2, 2, 7, 6).WithGrad();
        var y = a.Forward(x, ctx);
        Assert.Equal([2, 4, 8], y.Shape);
        y.Mul(Input(3, 2, 4, 8)).Sum().Backward();
        AssertEveryParameterHasGrad(a);
        Assert.NotNull(ctx.Grad);
        Assert.Equal([2, 3, 8], new CrossAttention(8, new Rng(1), 2).Forward(Input(4, 2, 3, 8)).Shape);
        var kv = new CrossAttention(8, new Rng(1), 2, kdim: 6, vdim: 5);
        Assert.Equal([2, 4, 8], kv.Attend(x, Input(5, 2, 7, 6), Input(6, 2, 7, 5)).Shape);
    }

    [Fact]
    public void SmallCnn_GradsReachEveryParameter_SgdStepLowersLoss()
    {
        var rng = new Rng(7);
        var model = new Sequential(new Conv2d(1, 4, 3, rng, padding: 1, bias: false), new BatchNorm2d(4), new ReLU(),
            new MaxPool2d(2), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 3, rng));
        Assert.Equal(36 + 8 + 15, model.ParameterCount());
        var x = Input(8, 6, 1, 8, 8);
        int[] targets = [0, 1, 2, 0, 1, 2];
        var opt = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
        var loss0 = F.CrossEntropy(model.Forward(x), targets);
        loss0.Backward();
        AssertEveryParameterHasGrad(model);
        opt.Step();
        opt.ZeroGrad();
        for (int i = 0; i < 5; i++)
        {
            F.CrossEntropy(model.Forward(x), targets).Backward();
            opt.Step();
            opt.ZeroGrad();
        }

        var loss = F.CrossEntropy(model.Forward(x), targets);
        Assert.True(loss.Item() < loss0.Item(), $"loss {loss.Item()} did not drop below {loss0.Item()}");
    }
}
