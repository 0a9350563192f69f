using System.Globalization;

namespace Offramp.Inference;

/// <summary>
/// A policy with one threshold per exit on a <see cref="ConfidenceMeasure"/>: <see cref="MaxSoftmaxPolicy"/>
/// (exit when c_k ≥ τ_k) or <see cref="EntropyPolicy"/> (exit when H_k ≤ τ_k).
/// </summary>
/// <remarks>
/// The thresholds hold one value per exit, the last included (the calibrator sets it to −∞ for max-softmax, +∞ for
/// entropy; runners ignore it since the last exit always answers). ±∞ are allowed (+∞ on max-softmax closes an
/// exit); NaN is not.
/// </remarks>
public abstract class ThresholdPolicy : IExitPolicy
{
    private readonly double[] _thresholds;

    /// <summary>Creates the policy over a copy of <paramref name="thresholds"/>.</summary>
    /// <exception cref="ArgumentException">No thresholds, or one is NaN.</exception>
    private protected ThresholdPolicy(IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        if (thresholds.Count == 0)
        {
            throw new ArgumentException($"{GetType().Name}: no thresholds (need one per exit)", nameof(thresholds));
        }

        _thresholds = [.. thresholds];
        for (int k = 0; k < _thresholds.Length; k++)
        {
            if (double.IsNaN(_thresholds[k]))
            {
                throw new ArgumentException($"{GetType().Name}: threshold of exit {k} is NaN", nameof(thresholds));
            }
        }
    }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The measure the thresholds apply to.</summary>
    public abstract ConfidenceMeasure Measure { get; }

    /// <summary>τ_k per exit, in the measure's own units.</summary>
    public IReadOnlyList<double> Thresholds => _thresholds;

    /// <summary>Builds the policy of <paramref name="measure"/> with these thresholds.</summary>
    /// <exception cref="ArgumentException">As for the constructors.</exception>
    public static ThresholdPolicy Create(ConfidenceMeasure measure, IReadOnlyList<double> thresholds) => measure switch
    {
        ConfidenceMeasure.MaxSoftmax => new MaxSoftmaxPolicy(thresholds),
        ConfidenceMeasure.Entropy => new EntropyPolicy(thresholds),
        _ => throw new ArgumentOutOfRangeException(nameof(measure), measure, "unknown confidence measure"),
    };

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The sample reached an exit this policy has no threshold for.</exception>
    public bool ShouldExit(SampleOutputs outputs)
    {
        int k = outputs.Exit;
        if (k >= _thresholds.Length)
        {
            throw new ArgumentException(
                $"{Name}: exit {k} reached but the policy has {_thresholds.Length} thresholds", nameof(outputs));
        }

        double score = ExitConfidence.Score(Measure, outputs.Current, outputs.IsProbabilities);
        return score >= ExitConfidence.ToScoreThreshold(Measure, _thresholds[k]);
    }

    /// <summary>The thresholds in score units (higher = exit): as is for max-softmax, negated for entropy.</summary>
    internal double[] ScoreThresholds()
    {
        var s = new double[_thresholds.Length];
        for (int k = 0; k < s.Length; k++)
        {
            s[k] = ExitConfidence.ToScoreThreshold(Measure, _thresholds[k]);
        }

        return s;
    }

    /// <summary>E.g. <c>max_softmax τ = [0.9, 0.8, -∞]</c>.</summary>
    public override string ToString() =>
        $"{Name} τ = [{string.Join(", ", _thresholds.Select(t => t.ToString("G6", CultureInfo.InvariantCulture)))}]";
}
