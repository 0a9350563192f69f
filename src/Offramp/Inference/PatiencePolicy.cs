using System.Globalization;

namespace Offramp.Inference;

/// <summary>
/// Patience-based exit (PABEE, Zhou et al., NeurIPS 2020): answer at exit k once the last t exits (k−t+1..k) agree.
/// Classification: the same argmax at all t. Regression: the t output vectors lie within δ of each other (every
/// output dimension's max − min over the t exits ≤ δ).
/// </summary>
/// <remarks>
/// <para>t counts agreeing exits, the current one included (budgeted-inference.md: "the argmax has been the same at
/// the last t exits"), so no sample can exit before exit t−1 (0-based) and t = 1 answers at the first exit. PABEE's
/// own <c>patience</c> p counts repeats (its counter grows when a prediction equals the previous one and it stops
/// when the counter reaches p), i.e. p = t − 1.</para>
/// <para>Regression deviates from PABEE on purpose: PABEE compares consecutive outputs with a strict
/// <c>|y_k − y_{k−1}| &lt; δ</c>, which lets a slow drift pass; here all t outputs must lie within δ of each other
/// (pairwise, ≤).</para>
/// </remarks>
public sealed class PatiencePolicy : IExitPolicy
{
    private PatiencePolicy(int patience, double? tolerance)
    {
        if (patience < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(patience), patience, "PatiencePolicy: patience t must be ≥ 1 (agreeing exits, the current one included)");
        }

        if (tolerance is double d && (!double.IsFinite(d) || d < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), d, "PatiencePolicy: tolerance δ must be finite and ≥ 0");
        }

        Patience = patience;
        Tolerance = tolerance;
    }

    /// <summary>t, the number of consecutive agreeing exits (the current one included).</summary>
    public int Patience { get; }

    /// <summary>δ for regression outputs; null for classification (argmax agreement).</summary>
    public double? Tolerance { get; }

    /// <inheritdoc/>
    public string Name => Tolerance is null ? "patience" : "patience_regression";

    /// <summary>Classification: exit once the argmax is the same at the last <paramref name="patience"/> exits.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="patience"/> &lt; 1.</exception>
    public static PatiencePolicy Classification(int patience) => new(patience, null);

    /// <summary>Regression: exit once the last <paramref name="patience"/> outputs lie within
    /// <paramref name="tolerance"/> of each other in every dimension.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="patience"/> &lt; 1, or the tolerance is negative
    /// or not finite.</exception>
    public static PatiencePolicy Regression(int patience, double tolerance) => new(patience, tolerance);

    /// <inheritdoc/>
    public bool ShouldExit(SampleOutputs outputs)
    {
        int last = outputs.Exit;
        int first = last - Patience + 1;
        if (first < 0)
        {
            return false;
        }

        if (Tolerance is not double delta)
        {
            int a = ExitConfidence.ArgMax(outputs[last]);
            for (int j = first; j < last; j++)
            {
                if (ExitConfidence.ArgMax(outputs[j]) != a)
                {
                    return false;
                }
            }

            return true;
        }

        // Pairwise within δ ⇔ in every dimension, max − min over the window ≤ δ.
        for (int c = 0; c < outputs.Classes; c++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int j = first; j <= last; j++)
            {
                double v = outputs[j][c];
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }

            if (!(hi - lo <= delta))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>E.g. <c>patience t = 2</c> or <c>patience_regression t = 3, δ = 0.1</c>.</summary>
    public override string ToString() => Tolerance is double d
        ? string.Create(CultureInfo.InvariantCulture, $"{Name} t = {Patience}, δ = {d:G6}")
        : $"{Name} t = {Patience}";
}
