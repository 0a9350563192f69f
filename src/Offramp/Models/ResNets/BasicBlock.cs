// Basic residual block: He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016 (Fig. 2
// left), as torchvision.models.resnet.BasicBlock: conv3x3(stride)–BN–ReLU–conv3x3–BN, plus the shortcut, then ReLU.
// Deviations: none (projection shortcut = torchvision's downsample, option B).
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.ResNets;

/// <summary>
/// torchvision's <c>BasicBlock</c> (expansion 1). Parameters <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c> and,
/// when the stride or width changes, <c>downsample.0</c> (1×1 conv) and <c>downsample.1</c> (BatchNorm).
/// </summary>
public sealed class BasicBlock : ResNetBlock
{
    /// <summary>Output channels per input plane.</summary>
    public const int Expansion = 1;

    /// <summary>Creates the block; the first conv carries the stride (<paramref name="stride"/> 1 or 2).</summary>
    /// <exception cref="ArgumentException">A channel count or the stride is not positive.</exception>
    public BasicBlock(int inChannels, int planes, int stride, Rng rng)
        : base(inChannels, planes * Expansion, stride)
    {
        if (inChannels <= 0 || planes <= 0 || stride <= 0)
        {
            throw new ArgumentException($"BasicBlock: invalid in={inChannels}, planes={planes}, stride={stride}");
        }

        Conv1 = RegisterModule("conv1",
            new Conv2d(inChannels, planes, 3, rng, stride: stride, padding: 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, rng, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        RegisterShortcut(rng);
    }

    /// <summary>3×3 conv with the block's stride.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>BatchNorm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>3×3 conv, stride 1.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>BatchNorm after conv2 (the last of the residual branch).</summary>
    public BatchNorm2d Bn2 { get; }

    /// <inheritdoc/>
    public override BatchNorm2d LastBatchNorm => Bn2;

    /// <inheritdoc/>
    public override long Macs(int h, int w)
    {
        var (oh, ow) = Conv1.OutputSize(h, w);
        return ConvMacs(Conv1, h, w) + ConvMacs(Conv2, oh, ow) + DownsampleMacs(h, w);
    }

    /// <summary>x: (N, C, H, W) → (N, planes, ⌈H/stride⌉, ⌈W/stride⌉).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, InChannels, H, W).</exception>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        // Each conv applies its BatchNorm, the shortcut and the ReLU: to its output tiles in eval mode, in
        // BatchNorm's pass in training (F.BatchNormAct); both bit-identical to the separate ops.
        // In eval mode a strided block's projection shortcut comes from conv1's pass over x (bit-identical).
        var (h, shortcut) = Downsample is { } d
            ? Conv1.ForwardNormActWithProjection(x, Bn1, relu: true, (Conv2d)d[0], (BatchNorm2d)d[1])
            : (Conv1.ForwardNormAct(x, Bn1, relu: true), Shortcut(x));
        return Conv2.ForwardNormAct(h, Bn2, shortcut, relu: true);
    }
}
