using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Mirrors each image left–right with probability <see cref="Probability"/>, in place (torchvision's
/// <c>RandomHorizontalFlip</c>: one uniform draw per sample, flip when it is below p).
/// </summary>
public sealed class RandomHorizontalFlip : IBatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of flipping each image, in [0, 1]; torchvision's default is 0.5.</param>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside [0, 1].</exception>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(probability), probability, "RandomHorizontalFlip: p must be in [0, 1]");
        }

        Probability = probability;
    }

    /// <summary>Chance of flipping each image.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor batch, Rng rng)
    {
        var s = BatchShape.Of(batch, "RandomHorizontalFlip");
        var x = batch.Span;
        for (int n = 0; n < s.N; n++)
        {
            if (rng.NextDouble() < Probability)
            {
                Flip(x.Slice(n * s.ImageSize, s.ImageSize), s.C * s.H, s.W);
            }
        }

        return batch;
    }

    // x: (rows, W) — every row reversed in place.
    internal static void Flip(Span<float> x, int rows, int w)
    {
        for (int r = 0; r < rows; r++)
        {
            x.Slice(r * w, w).Reverse();
        }
    }
}
