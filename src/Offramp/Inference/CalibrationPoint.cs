namespace Offramp.Inference;

/// <summary>
/// Thresholds found by <see cref="ThresholdCalibrator"/> for one target exit distribution q, with what they give on
/// the calibration set. Evaluate them on held-out test outputs with <see cref="Evaluate"/>.
/// </summary>
public sealed class CalibrationPoint
{
    private readonly double[] _distribution;
    private readonly int[] _targetCounts;
    private readonly int[] _histogram;

    internal CalibrationPoint(
        string generator, double? p, double[] distribution, ThresholdPolicy policy, ModelIdentity model, int samples,
        int[] targetCounts, int[] histogram, double cost, double accuracy)
    {
        Generator = generator;
        P = p;
        _distribution = distribution;
        Policy = policy;
        Model = model;
        Samples = samples;
        _targetCounts = targetCounts;
        _histogram = histogram;
        Cost = cost;
        Accuracy = accuracy;
    }

    /// <summary>Where q came from: <c>msdnet</c>, <c>dyn_perceiver</c>, <c>one_hot</c> or <c>custom</c>.</summary>
    public string Generator { get; }

    /// <summary>The family parameter p, or null for a one-hot or custom distribution.</summary>
    public double? P { get; }

    /// <summary>The target exit distribution q.</summary>
    public IReadOnlyList<double> Distribution => _distribution;

    /// <summary>The calibrated policy (thresholds τ_k in the measure's units; the last one −∞, or +∞ for entropy).</summary>
    public ThresholdPolicy Policy { get; }

    /// <summary>τ_k per exit (<see cref="ThresholdPolicy.Thresholds"/>).</summary>
    public IReadOnlyList<double> Thresholds => Policy.Thresholds;

    /// <summary>The model the calibration outputs came from.</summary>
    public ModelIdentity Model { get; }

    /// <summary>Calibration samples N.</summary>
    public int Samples { get; }

    /// <summary>⌊N·q_k⌋ for the exits before the last (the rank that set τ_k); the last entry is 0.</summary>
    public IReadOnlyList<int> TargetCounts => _targetCounts;

    /// <summary>n_k on the calibration set (ties at τ_k can send more than ⌊N·q_k⌋ samples out at k).</summary>
    public IReadOnlyList<int> Histogram => _histogram;

    /// <summary>Expected cost per sample on the calibration set, Σ_k (n_k / N)·C_k.</summary>
    public double Cost { get; }

    /// <summary>Accuracy on the calibration set; NaN when it is unlabelled.</summary>
    public double Accuracy { get; }

    /// <summary>The requested budget in cost units, when this point was chosen for one; else null.</summary>
    public double? Budget { get; internal set; }

    /// <summary>Runs the thresholds on test outputs of the same model (never the calibration set, for an honest
    /// number): accuracy, cost and exit histogram there.</summary>
    /// <exception cref="ArgumentException">The test outputs come from another model (exit names or costs differ).</exception>
    public SimulatedRun Evaluate(ExitLogits test)
    {
        ArgumentNullException.ThrowIfNull(test);
        ThresholdCalibrator.CheckSameModel(Model, test, nameof(test));
        return SimulatedRunner.Run(test, Policy);
    }

    /// <summary>E.g. <c>msdnet p = 0.5: max_softmax τ = [...], calibration cost 1.2E+06, acc 0.91</c>.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{Generator}{(P is double p ? $" p = {p:G6}" : "")}: {Policy}, calibration cost {Cost:G6}, acc {Accuracy:F4}, exits [{string.Join(", ", _histogram)}]");
}
