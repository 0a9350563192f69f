using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>Adaptive average pooling to a fixed output size (<c>torch.nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d : Module
{
    /// <summary>Square output <paramref name="outputSize"/>×<paramref name="outputSize"/> (1 for global pooling).</summary>
    public AdaptiveAvgPool2d(int outputSize)
        : this(outputSize, outputSize)
    {
    }

    /// <summary>Output (<paramref name="outH"/>, <paramref name="outW"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public AdaptiveAvgPool2d(int outH, int outW)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outH);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outW);
        OutputSize = (outH, outW);
    }

    /// <summary>(OH, OW).</summary>
    public (int H, int W) OutputSize { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not 4-D.</exception>
    public override Tensor Forward(Tensor x) =>
        F.AdaptiveAvgPool2d(PoolArgs.Check4d("AdaptiveAvgPool2d", x), OutputSize.H, OutputSize.W);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size=({OutputSize.H}, {OutputSize.W})";
}
