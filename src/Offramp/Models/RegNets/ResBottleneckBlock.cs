// RegNet's residual bottleneck block (Radosavovic et al., CVPR 2020, Fig. 4) as
// torchvision.models.regnet.ResBottleneckBlock (torchvision 0.14): relu(proj(x) + f(x)), proj a 1×1 conv–BN with the
// block's stride when the width or the resolution changes, else the identity.
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Blocks;

namespace Offramp.Models.RegNets;

/// <summary>
/// torchvision's <c>ResBottleneckBlock</c>: children <c>proj</c> (only when the shape changes), <c>f</c>
/// (<see cref="BottleneckTransform"/>) and <c>activation</c> (ReLU).
/// </summary>
public sealed class ResBottleneckBlock : Module
{
    /// <summary>Creates the block (see <see cref="BottleneckTransform"/> for the widths).</summary>
    /// <exception cref="ArgumentException">An invalid width, stride or group width.</exception>
    public ResBottleneckBlock(int widthIn, int widthOut, int stride, int groupWidth, double bottleneckMultiplier,
        double? seRatio, Rng rng)
    {
        if (stride <= 0)
        {
            throw new ArgumentException($"ResBottleneckBlock: stride must be positive, got {stride}");
        }

        WidthIn = widthIn;
        WidthOut = widthOut;
        Stride = stride;
        // torchvision registers proj before f, so its keys come first.
        if (widthIn != widthOut || stride != 1)
        {
            Proj = RegisterModule("proj", new ConvNormActivation(widthIn, widthOut, 1, rng, stride: stride));
        }

        F = RegisterModule("f",
            new BottleneckTransform(widthIn, widthOut, stride, groupWidth, bottleneckMultiplier, seRatio, rng));
        Activation = RegisterModule("activation", new ReLU());
    }

    /// <summary>Input channels.</summary>
    public int WidthIn { get; }

    /// <summary>Output channels.</summary>
    public int WidthOut { get; }

    /// <summary>Stride of the 3×3 conv and of the projection.</summary>
    public int Stride { get; }

    /// <summary>The projection shortcut (1×1 conv with the stride + BN), or null for the identity.</summary>
    public ConvNormActivation? Proj { get; }

    /// <summary>The residual branch.</summary>
    public BottleneckTransform F { get; }

    /// <summary>The ReLU after the sum.</summary>
    public ReLU Activation { get; }

    /// <summary>Output spatial size for an h×w input.</summary>
    public (int H, int W) OutputSize(int h, int w) => F.B.OutputSize(h, w);

    /// <summary>MACs per sample for an h×w input: the transform and the projection.</summary>
    public long Macs(int h, int w) => F.Macs(h, w) + (Proj?.Macs(h, w) ?? 0);

    /// <summary>x: (N, width_in, H, W) → (N, width_out, OH, OW).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, width_in, H, W).</exception>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != WidthIn)
        {
            throw new ArgumentException($"ResBottleneckBlock(width_in={WidthIn}, width_out={WidthOut}) expects " +
                $"(N, {WidthIn}, H, W), got input {Shape.Format(x.Shape)}");
        }

        var identity = Proj is null ? x : Proj.Forward(x);
        return Activation.Forward(identity.Add(F.Forward(x)));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"width_in={WidthIn}, width_out={WidthOut}, stride={Stride}";
}
