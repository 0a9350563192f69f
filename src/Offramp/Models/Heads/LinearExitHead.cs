using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Heads;

/// <summary>
/// Global average pool + Linear: the classifier of torchvision's ResNet (<c>avgpool</c> → <c>flatten</c> →
/// <c>fc</c>) used as an exit head. Parameters <c>fc.weight</c> (K, C) and <c>fc.bias</c> (K), PyTorch's default
/// Linear initialisation.
/// </summary>
public sealed class LinearExitHead : ExitHead
{
    /// <summary>Creates the head for <paramref name="channels"/> input channels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive.</exception>
    public LinearExitHead(int channels, int numClasses, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        Fc = RegisterModule("fc", new Linear(channels, numClasses, rng));
    }

    /// <summary>The classifier, (K, C).</summary>
    public Linear Fc { get; }

    /// <inheritdoc/>
    public override int InChannels => Fc.InFeatures;

    /// <inheritdoc/>
    public override int NumClasses => Fc.OutFeatures;

    /// <inheritdoc/>
    public override long Macs => (long)Fc.InFeatures * Fc.OutFeatures;

    /// <summary>x: (N, C, H, W) → logits (N, K).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, C, H, W) with C =
    /// <see cref="InChannels"/>.</exception>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        return Fc.Forward(GlobalAvgPool(x));
    }

    /// <summary>(N, C, H, W) → (N, C): the mean over H and W (AdaptiveAvgPool2d(1) + flatten).</summary>
    internal static Tensor GlobalAvgPool(Tensor x) => x.Mean([2, 3]);
}
