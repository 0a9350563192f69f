// RegNet's bottleneck transform (Radosavovic et al., CVPR 2020, Fig. 4; the Y variant's SE from Sec. 5) as
// torchvision.models.regnet.BottleneckTransform (torchvision 0.14): 1×1 conv–BN–ReLU (a), 3×3 grouped conv with the
// stride–BN–ReLU (b), SE with ReLU/Sigmoid (se, RegNetY only), 1×1 conv–BN (c).
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Blocks;

namespace Offramp.Models.RegNets;

/// <summary>
/// torchvision's <c>BottleneckTransform</c>: children <c>a</c>, <c>b</c>, optional <c>se</c> and <c>c</c> (keys
/// <c>a.0.weight</c>, <c>b.1.running_var</c>, <c>se.fc1.weight</c>, <c>c.0.weight</c>, …).
/// </summary>
public sealed class BottleneckTransform : Module
{
    /// <summary>
    /// Creates the transform: bottleneck width w_b = round(<paramref name="widthOut"/>·<paramref name="bottleneckMultiplier"/>),
    /// w_b/<paramref name="groupWidth"/> groups, and an SE of round(<paramref name="seRatio"/>·<paramref name="widthIn"/>)
    /// channels when <paramref name="seRatio"/> is set (the ratio is relative to the block's input, as torchvision).
    /// </summary>
    /// <exception cref="ArgumentException">A width is not positive or the groups do not divide the width.</exception>
    public BottleneckTransform(int widthIn, int widthOut, int stride, int groupWidth, double bottleneckMultiplier,
        double? seRatio, Rng rng)
    {
        // Python's round() rounds half to even, as Math.Round.
        int wB = (int)Math.Round(widthOut * bottleneckMultiplier);
        if (widthIn <= 0 || widthOut <= 0 || groupWidth <= 0 || wB <= 0 || wB % groupWidth != 0)
        {
            throw new ArgumentException($"BottleneckTransform: invalid width_in={widthIn}, width_out={widthOut}, " +
                $"bottleneck width {wB}, group_width={groupWidth}");
        }

        A = RegisterModule("a", new ConvNormActivation(widthIn, wB, 1, rng, activation: new ReLU()));
        B = RegisterModule("b", new ConvNormActivation(wB, wB, 3, rng, stride: stride, groups: wB / groupWidth,
            activation: new ReLU()));
        if (seRatio is { } r && r != 0)
        {
            Se = RegisterModule("se", new SqueezeExcitation(wB, (int)Math.Round(r * widthIn), new ReLU(),
                new Sigmoid(), rng));
        }

        C = RegisterModule("c", new ConvNormActivation(wB, widthOut, 1, rng));
    }

    /// <summary>1×1 conv to the bottleneck width, BN, ReLU.</summary>
    public ConvNormActivation A { get; }

    /// <summary>3×3 grouped conv with the block's stride, BN, ReLU.</summary>
    public ConvNormActivation B { get; }

    /// <summary>Squeeze-and-excitation (RegNetY), or null.</summary>
    public SqueezeExcitation? Se { get; }

    /// <summary>1×1 conv to the output width, BN (no activation).</summary>
    public ConvNormActivation C { get; }

    /// <summary>MACs per sample for an h×w input: the three convs and the SE's two 1×1 convs.</summary>
    public long Macs(int h, int w)
    {
        var (oh, ow) = B.OutputSize(h, w);
        return A.Macs(h, w) + B.Macs(h, w) + (Se?.Macs ?? 0) + C.Macs(oh, ow);
    }

    /// <summary>x: (N, width_in, H, W) → (N, width_out, OH, OW).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> does not have width_in channels.</exception>
    public override Tensor Forward(Tensor x)
    {
        var y = B.Forward(A.Forward(x));
        if (Se is not null)
        {
            y = Se.Forward(y);
        }

        return C.Forward(y);
    }
}
