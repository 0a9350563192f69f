using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.ResNets;

/// <summary>
/// A residual block of a <see cref="ResNet"/>: (N, InChannels, H, W) → (N, OutChannels, H/stride, W/stride).
/// Subclasses register torchvision's parameter names (<c>conv1</c>, <c>bn1</c>, …, <c>downsample.0</c>,
/// <c>downsample.1</c>).
/// </summary>
public abstract class ResNetBlock : Module
{
    /// <summary>A new block of <paramref name="kind"/>: <paramref name="planes"/> inner channels (a bottleneck's
    /// output is 4×), the stride on its first convolution and a projection shortcut where the shape changes.</summary>
    public static ResNetBlock Create(ResNetBlockKind kind, int inChannels, int planes, int stride, Rng rng) =>
        kind == ResNetBlockKind.Basic
            ? new BasicBlock(inChannels, planes, stride, rng)
            : new Bottleneck(inChannels, planes, stride, rng);

    private protected ResNetBlock(int inChannels, int outChannels, int stride)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Stride = stride;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels (planes × expansion).</summary>
    public int OutChannels { get; }

    /// <summary>Spatial stride of the block (1 or 2).</summary>
    public int Stride { get; }

    /// <summary>
    /// The projection shortcut (<c>downsample</c> = 1×1 conv with the block's stride + BatchNorm; torchvision's
    /// option B), or null for the identity.
    /// </summary>
    public Sequential? Downsample { get; private set; }

    /// <summary>The last BatchNorm of the residual branch (zeroed by timm's <c>zero_init_last</c>).</summary>
    public abstract BatchNorm2d LastBatchNorm { get; }

    /// <summary>Output spatial size for an input of <paramref name="h"/>×<paramref name="w"/> (3×3 conv,
    /// padding 1).</summary>
    public (int H, int W) OutputSize(int h, int w) => ((h - 1) / Stride + 1, (w - 1) / Stride + 1);

    /// <summary>
    /// Multiply–accumulates per sample of the block's convolutions for an <paramref name="h"/>×<paramref name="w"/>
    /// input (Offramp's cost convention: conv and Linear MACs only, as torchvision's GFLOPS figures).
    /// </summary>
    public abstract long Macs(int h, int w);

    /// <summary>MACs per sample of <paramref name="conv"/> on an h×w input: O·OH·OW·(C/groups)·KH·KW.</summary>
    internal static long ConvMacs(Conv2d conv, int h, int w)
    {
        var (oh, ow) = conv.OutputSize(h, w);
        return (long)conv.OutChannels * oh * ow * (conv.InChannels / conv.Groups)
            * conv.KernelSize.H * conv.KernelSize.W;
    }

    /// <summary>MACs of the projection shortcut (0 for the identity).</summary>
    private protected long DownsampleMacs(int h, int w) =>
        Downsample is null ? 0 : ConvMacs((Conv2d)Downsample[0], h, w);

    /// <summary>Zeroes the last BatchNorm's weight, so the block starts as its shortcut (timm's
    /// zero_init_last).</summary>
    public void ZeroInitLast() => LastBatchNorm.Weight!.Fill(0.0);

    /// <summary>
    /// Registers torchvision's projection, <c>downsample</c> = Sequential(conv1x1(stride, bias=False), BatchNorm2d),
    /// when the stride or the channel count changes. Subclasses call it last, so the state dict lists
    /// <c>downsample.*</c> after the residual branch, as torchvision does.
    /// </summary>
    private protected void RegisterShortcut(Rng rng)
    {
        if (Stride != 1 || InChannels != OutChannels)
        {
            Downsample = RegisterModule("downsample", new Sequential(
                new Conv2d(InChannels, OutChannels, 1, rng, stride: Stride, bias: false),
                new BatchNorm2d(OutChannels)));
        }
    }

    /// <summary>
    /// The shortcut of <paramref name="x"/>: x itself, or the projection (1×1 conv + BatchNorm, fused in eval mode).
    /// </summary>
    private protected Tensor Shortcut(Tensor x) =>
        Downsample is null ? x : ((Conv2d)Downsample[0]).ForwardNormAct(x, (BatchNorm2d)Downsample[1]);

    /// <summary>Throws unless <paramref name="x"/> is (N, <see cref="InChannels"/>, H, W).</summary>
    private protected void CheckInput(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
        {
            throw new ArgumentException($"{GetType().Name}(in={InChannels}, out={OutChannels}) expects " +
                $"(N, {InChannels}, H, W), got input {Shape.Format(x.Shape)}");
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in={InChannels}, out={OutChannels}, stride={Stride}";
}
