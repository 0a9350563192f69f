using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Inverted dropout (<c>torch.nn.Dropout</c>): in training, zeroes each element with probability
/// <see cref="P"/> and scales the rest by 1/(1−p); identity in eval. Masks are drawn from the
/// <see cref="Rng"/> given at construction.
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p, Rng rng)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability has to be between 0 and 1, but got {p}");
        }

        P = p;
        Rng = rng;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>The source of the masks.</summary>
    public Rng Rng { get; }

    /// <summary>Any shape → same shape.</summary>
    public override Tensor Forward(Tensor x) => Training && P > 0 ? F.Dropout(x, P, true, Rng) : x;

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={PyFloat(P)}";
}
