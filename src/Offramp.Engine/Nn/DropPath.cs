using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Stochastic depth per sample (timm's <c>DropPath</c>): in training, zeroes whole samples (dim 0) of a residual
/// branch with probability <see cref="P"/>, scaling the kept ones by 1/(1−p) when <see cref="ScaleByKeep"/>;
/// identity in eval. Masks come from the <see cref="Rng"/> given at construction.
/// </summary>
public sealed class DropPath : Module
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public DropPath(double p, Rng rng, bool scaleByKeep = true)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"drop path probability has to be between 0 and 1, but got {p}");
        }

        P = p;
        Rng = rng;
        ScaleByKeep = scaleByKeep;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>The source of the masks.</summary>
    public Rng Rng { get; }

    /// <summary>Whether kept samples are scaled by 1/(1−p).</summary>
    public bool ScaleByKeep { get; }

    /// <summary>x: (N, ...) → same shape.</summary>
    public override Tensor Forward(Tensor x) => Training && P > 0 ? F.DropPath(x, P, true, Rng, ScaleByKeep) : x;

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"drop_prob={P:0.###}";
}
