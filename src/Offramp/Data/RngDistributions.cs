using Offramp.Engine;

namespace Offramp.Data;

/// <summary>Gamma and Beta draws from an <see cref="Rng"/>, for Mixup/CutMix's λ ~ Beta(α, α).</summary>
public static class RngDistributions
{
    /// <summary>A Gamma(<paramref name="shape"/>, 1) draw.</summary>
    /// <remarks>Marsaglia &amp; Tsang (2000), "A simple method for generating gamma variables"; for shape &lt; 1 it
    /// uses their boost Gamma(a) = Gamma(a + 1)·U^(1/a).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The shape is not positive and finite.</exception>
    public static double NextGamma(this Rng rng, double shape) => Math.Exp(rng.NextLogGamma(shape));

    /// <summary>A Beta(<paramref name="a"/>, <paramref name="b"/>) draw in [0, 1], as X/(X+Y) with X ~ Gamma(a),
    /// Y ~ Gamma(b).</summary>
    /// <remarks>Computed from the logarithms of the Gamma draws, 1/(1 + e^(ln Y − ln X)), so small shapes (where both
    /// draws underflow to 0) still give a value instead of NaN.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A shape is not positive and finite.</exception>
    public static double NextBeta(this Rng rng, double a, double b)
    {
        double logX = rng.NextLogGamma(a);
        double logY = rng.NextLogGamma(b);
        return 1.0 / (1.0 + Math.Exp(logY - logX));
    }

    // ln of a Gamma(shape, 1) draw.
    private static double NextLogGamma(this Rng rng, double shape)
    {
        if (!(shape > 0 && double.IsFinite(shape)))
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "Gamma shape must be positive and finite");
        }

        if (shape < 1)
        {
            // Marsaglia–Tsang §6: Gamma(a) = Gamma(a + 1) · U^(1/a); in logs to avoid underflow.
            double u = 1.0 - rng.NextDouble(); // (0, 1]
            return rng.NextLogGamma(shape + 1) + Math.Log(u) / shape;
        }

        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x = rng.NextNormal();
            double v = 1.0 + c * x;
            if (v <= 0)
            {
                continue;
            }

            v = v * v * v;
            double u = 1.0 - rng.NextDouble(); // (0, 1]
            double x2 = x * x;
            if (u < 1.0 - 0.0331 * x2 * x2 || Math.Log(u) < 0.5 * x2 + d * (1.0 - v + Math.Log(v)))
            {
                return Math.Log(d) + Math.Log(v);
            }
        }
    }
}
