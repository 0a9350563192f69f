// Bottleneck residual block: He et al., CVPR 2016 (Fig. 5 right), as torchvision.models.resnet.Bottleneck
// ("ResNet V1.5": the stride sits on the 3×3 conv, not on the first 1×1): conv1x1–BN–ReLU–conv3x3(stride)–BN–ReLU–
// conv1x1(4×)–BN, plus the shortcut, then ReLU.
// Deviations: no groups/base_width (ResNeXt, wide ResNets); the bottleneck width is the stage's planes.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.ResNets;

/// <summary>
/// torchvision's <c>Bottleneck</c> (expansion 4). Parameters <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>,
/// <c>conv3</c>, <c>bn3</c> and, when the stride or width changes, <c>downsample.0</c> and <c>downsample.1</c>.
/// </summary>
public sealed class Bottleneck : ResNetBlock
{
    /// <summary>Output channels per input plane.</summary>
    public const int Expansion = 4;

    /// <summary>Creates the block (output 4·<paramref name="planes"/> channels); the 3×3 conv carries the
    /// stride.</summary>
    /// <exception cref="ArgumentException">A channel count or the stride is not positive.</exception>
    public Bottleneck(int inChannels, int planes, int stride, Rng rng)
        : base(inChannels, planes * Expansion, stride)
    {
        if (inChannels <= 0 || planes <= 0 || stride <= 0)
        {
            throw new ArgumentException($"Bottleneck: invalid in={inChannels}, planes={planes}, stride={stride}");
        }

        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, planes, 1, rng, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, rng, stride: stride, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        Conv3 = RegisterModule("conv3", new Conv2d(planes, planes * Expansion, 1, rng, bias: false));
        Bn3 = RegisterModule("bn3", new BatchNorm2d(planes * Expansion));
        RegisterShortcut(rng);
    }

    /// <summary>1×1 reduction conv.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>BatchNorm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>3×3 conv with the block's stride.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>BatchNorm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>1×1 expansion conv (planes → 4·planes).</summary>
    public Conv2d Conv3 { get; }

    /// <summary>BatchNorm after conv3 (the last of the residual branch).</summary>
    public BatchNorm2d Bn3 { get; }

    /// <inheritdoc/>
    public override BatchNorm2d LastBatchNorm => Bn3;

    /// <inheritdoc/>
    public override long Macs(int h, int w)
    {
        var (oh, ow) = Conv2.OutputSize(h, w);
        return ConvMacs(Conv1, h, w) + ConvMacs(Conv2, h, w) + ConvMacs(Conv3, oh, ow) + DownsampleMacs(h, w);
    }

    /// <summary>x: (N, C, H, W) → (N, 4·planes, ⌈H/stride⌉, ⌈W/stride⌉).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, InChannels, H, W).</exception>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        // Each conv applies its BatchNorm, the shortcut and the ReLU: to its output tiles in eval mode, in
        // BatchNorm's pass in training (F.BatchNormAct); both bit-identical to the separate ops.
        var h = Conv1.ForwardNormAct(x, Bn1, relu: true);
        h = Conv2.ForwardNormAct(h, Bn2, relu: true);
        return Conv3.ForwardNormAct(h, Bn3, Shortcut(x), relu: true);
    }
}
