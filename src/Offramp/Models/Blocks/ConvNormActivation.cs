// torchvision.ops.misc.Conv2dNormActivation (torchvision 0.14; ConvNormActivation in 0.12, the name the Dynamic
// Perceiver's copies import): Conv2d(bias=False, padding=(k−1)/2·dilation) → BatchNorm2d → optional activation,
// children "0", "1", "2" as torchvision's nn.Sequential, so the keys read `0.weight`, `1.running_mean`, ….
// Deviations: none for the configurations the RegNets and MobileNets use (BatchNorm always, no conv bias).
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Blocks;

/// <summary>
/// Convolution + BatchNorm + activation (torchvision's <c>Conv2dNormActivation</c>). Parameters <c>0.weight</c>
/// (O, C/groups, K, K), BatchNorm <c>1.*</c>; the activation (if any) is child <c>2</c> and has no parameters.
/// </summary>
public sealed class ConvNormActivation : Module
{
    /// <summary>
    /// Creates the block: a K×K conv with <paramref name="stride"/>, <paramref name="groups"/> and
    /// <paramref name="dilation"/> (padding (K−1)/2·dilation, no bias), a BatchNorm2d with <paramref name="bnEps"/>
    /// and <paramref name="bnMomentum"/>, and <paramref name="activation"/> (null = none).
    /// </summary>
    /// <exception cref="ArgumentException">Channels not divisible by the groups, or a non-positive size.</exception>
    public ConvNormActivation(int inChannels, int outChannels, int kernelSize, Rng rng, int stride = 1, int groups = 1,
        int dilation = 1, Module? activation = null, double bnEps = 1e-5, double bnMomentum = 0.1)
    {
        // torchvision: padding = (kernel_size - 1) // 2 * dilation; bias = norm_layer is None (False here)
        Conv = RegisterModule("0", new Conv2d(inChannels, outChannels, kernelSize, rng, stride: stride,
            padding: (kernelSize - 1) / 2 * dilation, dilation: dilation, groups: groups, bias: false));
        Bn = RegisterModule("1", new BatchNorm2d(outChannels, eps: bnEps, momentum: bnMomentum));
        Activation = activation is null ? null : RegisterModule("2", activation);
    }

    /// <summary>The convolution (child "0").</summary>
    public Conv2d Conv { get; }

    /// <summary>The BatchNorm (child "1").</summary>
    public BatchNorm2d Bn { get; }

    /// <summary>The activation (child "2"), or null.</summary>
    public Module? Activation { get; }

    /// <summary>Input channels C.</summary>
    public int InChannels => Conv.InChannels;

    /// <summary>Output channels O.</summary>
    public int OutChannels => Conv.OutChannels;

    /// <summary>Output spatial size for an <paramref name="h"/>×<paramref name="w"/> input.</summary>
    public (int H, int W) OutputSize(int h, int w) => Conv.OutputSize(h, w);

    /// <summary>Multiply–accumulates per sample of the conv for an h×w input (BatchNorm and activation are not
    /// counted: Offramp's convention, as torchvision's GFLOPS).</summary>
    public long Macs(int h, int w) => ConvMacs(Conv, h, w);

    /// <summary>x: (N, C, H, W) → (N, O, OH, OW).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, C, H, W) with C =
    /// <see cref="InChannels"/>.</exception>
    public override Tensor Forward(Tensor x)
    {
        // Conv + BatchNorm (+ ReLU) in one pass in eval mode (bit-identical); other activations run after it.
        bool relu = Activation is ReLU;
        var y = Conv.ForwardNormAct(x, Bn, relu: relu);
        return Activation is null || relu ? y : Activation.Forward(y);
    }

    /// <summary>MACs per sample of <paramref name="conv"/> on an h×w input: O·OH·OW·(C/groups)·KH·KW.</summary>
    public static long ConvMacs(Conv2d conv, int h, int w)
    {
        var (oh, ow) = conv.OutputSize(h, w);
        return (long)conv.OutChannels * oh * ow * (conv.InChannels / conv.Groups) * conv.KernelSize.H
            * conv.KernelSize.W;
    }
}
