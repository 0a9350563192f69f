using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

/// <summary>Names, shapes and parameter counts of the composite layers (timm's keys), and argument checks.</summary>
public class LayerStructureTests
{
    private static List<string> Keys(Module m) => [.. m.StateDict().Entries.Select(e => $"{e.Key} {Shape.Format(e.Tensor.Shape)}")];

    [Fact]
    public void Mlp_TimmNamesAndShapes()
    {
        var mlp = new Mlp(8, new Rng(1), hiddenFeatures: 32, outFeatures: 4);
        Assert.Equal(["fc1.weight (32, 8)", "fc1.bias (32,)", "fc2.weight (4, 32)", "fc2.bias (4,)"], Keys(mlp));
        Assert.Equal(["", "fc1", "act", "drop1", "norm", "fc2", "drop2"], mlp.NamedModules().Select(m => m.Name));
        Assert.IsType<GELU>(mlp.Act);
        Assert.IsType<Identity>(mlp.Norm);
        var withNorm = new Mlp(8, new Rng(1), 16, actLayer: () => new SiLU(), normLayer: h => new LayerNorm(h), bias: false);
        Assert.Equal(["fc1.weight", "norm.weight", "norm.bias", "fc2.weight"], withNorm.StateDict().Keys);
    }

    [Fact]
    public void Attention_PackedQkv_TimmNamesAndShapes()
    {
        var a = new Attention(12, new Rng(1), numHeads: 3, qkvBias: true);
        Assert.Equal(["qkv.weight (36, 12)", "qkv.bias (36,)", "proj.weight (12, 12)", "proj.bias (12,)"], Keys(a));
        Assert.Equal(["", "qkv", "q_norm", "k_norm", "attn_drop", "proj", "proj_drop"], a.NamedModules().Select(m => m.Name));
        Assert.Equal(4, a.HeadDim);
        Assert.Equal(["qkv.weight", "proj.weight", "proj.bias"], new Attention(8, new Rng(1), 2).StateDict().Keys);
        Assert.Equal(["qkv.weight", "q_norm.weight", "q_norm.bias", "k_norm.weight", "k_norm.bias", "proj.weight", "proj.bias"],
            new Attention(8, new Rng(1), 2, qkNorm: true).StateDict().Keys);
        Assert.Throws<ArgumentException>(() => new Attention(10, new Rng(1), 3));
    }

    [Fact]
    public void CrossAttention_SeparateProjections_KdimVdim()
    {
        var a = new CrossAttention(8, new Rng(1), numHeads: 2, kdim: 6, vdim: 5, qkvBias: true);
        Assert.Equal(["q.weight (8, 8)", "q.bias (8,)", "k.weight (8, 6)", "k.bias (8,)", "v.weight (8, 5)",
            "v.bias (8,)", "proj.weight (8, 8)", "proj.bias (8,)"], Keys(a));
        Assert.Equal(["q.weight", "k.weight", "v.weight", "proj.weight", "proj.bias"], new CrossAttention(8, new Rng(1), 2).StateDict().Keys);
        var ex = Assert.Throws<ArgumentException>(() => a.Forward(Tensor.Zeros(2, 3, 8), Tensor.Zeros(2, 4, 7)));
        Assert.Contains("(2, 4, 7)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sequential_NamedChildrenAndIndexing()
    {
        var s = new Sequential([("conv", (Module)new Conv2d(1, 2, 3, new Rng(1))), ("act", new ReLU())]);
        Assert.Equal(["conv.weight", "conv.bias"], s.StateDict().Keys);
        Assert.IsType<ReLU>(s[1]);
        Assert.Equal(2, s.Count);
        Assert.Throws<ArgumentException>(() => new Sequential([("a", (Module)new ReLU()), ("a", new ReLU())]));
        var x = Tensor.Ones(2);
        Assert.Same(x, new Sequential().Forward(x));
    }

    [Fact]
    public void ModuleList_TypedItemsNamedByPosition_NoForward()
    {
        var rng = new Rng(1);
        var list = new ModuleList<Linear>(new Linear(2, 3, rng), new Linear(3, 4, rng));
        list.Add(new Linear(4, 1, rng));
        Assert.Equal(3, list.Count);
        Assert.Equal(4, list[2].InFeatures);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"], list.StateDict().Keys);
        Assert.Throws<NotSupportedException>(() => list.Forward(Tensor.Zeros(2)));
        Assert.Single(new ModuleList(new ReLU()));
    }

    [Fact]
    public void Linear_WrongInput_MessageNamesShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Linear(784, 10, new Rng(1)).Forward(Tensor.Zeros(32, 28, 28)));
        Assert.Equal("Linear(in=784) got input (32, 28, 28)", ex.Message);
    }

    [Fact]
    public void Conv2d_ArgumentChecks_AndOutputSize()
    {
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, new Rng(1), groups: 2));
        Assert.Throws<ArgumentException>(() => new Conv2d(4, 4, 0, new Rng(1)));
        var c = new Conv2d(3, 8, 3, new Rng(1), stride: 2, padding: 2, dilation: 2);
        Assert.Equal((16, 16), c.OutputSize(32, 32));
        Assert.Equal([8, 3, 3, 3], c.Weight.Shape);
        var ex = Assert.Throws<ArgumentException>(() => c.Forward(Tensor.Zeros(1, 4, 8, 8)));
        Assert.Contains("(1, 4, 8, 8)", ex.Message, StringComparison.Ordinal);
        var rect = new Conv2d(2, 4, (1, 3), new Rng(1), (1, 1), (0, 1), (1, 1), groups: 2);
        Assert.Equal([4, 1, 1, 3], rect.Weight.Shape);
    }

    [Fact]
    public void Pools_ArgumentChecks()
    {
        Assert.Equal(3, new MaxPool2d(3).Stride);
        Assert.Equal(1, new AvgPool2d(3, 1, 1).Stride);
        Assert.Throws<ArgumentException>(() => new MaxPool2d(3, 1, 2)); // padding > kernel/2, as PyTorch
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveAvgPool2d(0));
        Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool2d(1).Forward(Tensor.Zeros(2, 3)));
        Assert.Throws<ArgumentException>(() => new GELU("erf"));
    }
}
