namespace Offramp.Inference;

/// <summary>
/// The confidence measures of one exit's output for one sample. Every policy, the calibrator and the simulated
/// runner call these same functions, so a threshold taken from a sample's confidence compares bit-exactly with it.
/// </summary>
/// <remarks>All sums run in float64 over the float32 outputs; ties in <see cref="ArgMax"/> go to the first class
/// (as <c>torch.max</c> does on CPU).</remarks>
public static class ExitConfidence
{
    /// <summary>max_c softmax(y)_c; for probabilities, max_c y_c.</summary>
    /// <param name="output">One exit's K outputs for one sample (K ≥ 1).</param>
    /// <param name="isProbabilities">True when <paramref name="output"/> already is a probability vector.</param>
    public static double MaxSoftmax(ReadOnlySpan<float> output, bool isProbabilities)
    {
        if (isProbabilities)
        {
            return output[ArgMax(output)];
        }

        // softmax_max = exp(m − m) / Σ exp(y_c − m) = 1 / Σ exp(y_c − m), m = max y.
        double m = output[ArgMax(output)];
        double s = 0;
        foreach (float v in output)
        {
            s += Math.Exp(v - m);
        }

        return 1.0 / s;
    }

    /// <summary>Entropy of softmax(y) in nats (of y itself for probabilities, with 0·ln 0 = 0).</summary>
    /// <param name="output">One exit's K outputs for one sample (K ≥ 1).</param>
    /// <param name="isProbabilities">True when <paramref name="output"/> already is a probability vector.</param>
    public static double Entropy(ReadOnlySpan<float> output, bool isProbabilities)
    {
        double h = 0;
        if (isProbabilities)
        {
            foreach (float v in output)
            {
                if (v > 0)
                {
                    h -= v * Math.Log(v);
                }
            }

            return h;
        }

        // H = ln Z − Σ p_c (y_c − m), with Z = Σ exp(y_c − m) and p_c = exp(y_c − m) / Z (stable for any logits).
        double m = output[ArgMax(output)];
        double z = 0, t = 0;
        foreach (float v in output)
        {
            double d = v - m;
            double e = Math.Exp(d);
            z += e;
            t += e * d;
        }

        return Math.Log(z) - t / z;
    }

    /// <summary>The index of the largest output (the first one on ties).</summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is empty.</exception>
    public static int ArgMax(ReadOnlySpan<float> output)
    {
        if (output.IsEmpty)
        {
            throw new ArgumentException("ArgMax of an empty output", nameof(output));
        }

        int best = 0;
        for (int c = 1; c < output.Length; c++)
        {
            if (output[c] > output[best])
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>
    /// The measure as a score where higher means "readier to exit": max-softmax as is, entropy negated. The
    /// calibrator sorts and thresholds scores, so one code path serves both measures.
    /// </summary>
    public static double Score(ConfidenceMeasure measure, ReadOnlySpan<float> output, bool isProbabilities) =>
        measure switch
        {
            ConfidenceMeasure.MaxSoftmax => MaxSoftmax(output, isProbabilities),
            ConfidenceMeasure.Entropy => -Entropy(output, isProbabilities),
            _ => throw new ArgumentOutOfRangeException(nameof(measure), measure, "unknown confidence measure"),
        };

    /// <summary>Converts a threshold between the measure's own units and score units (an involution).</summary>
    internal static double ToScoreThreshold(ConfidenceMeasure measure, double threshold) =>
        measure == ConfidenceMeasure.Entropy ? -threshold : threshold;
}
