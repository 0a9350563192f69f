namespace Offramp.Inference;

/// <summary>
/// The outcome of a policy applied to stored exit outputs (<see cref="SimulatedRunner"/>): per sample, the exit it
/// answered at, its prediction, confidence and cost; in aggregate, accuracy, average cost and the exit histogram.
/// </summary>
public sealed class SimulatedRun
{
    private readonly int[] _exit;
    private readonly int[] _prediction;
    private readonly double[] _confidence;
    private readonly double[] _cost;
    private readonly bool[]? _correct;
    private readonly int[] _histogram;
    private readonly double[] _exitAccuracy;

    internal SimulatedRun(ExitLogits logits, int[] exitIndex, string policy)
    {
        int n = logits.Samples, e = logits.Exits;
        _exit = exitIndex;
        _prediction = new int[n];
        _confidence = new double[n];
        _cost = new double[n];
        _histogram = new int[e];
        var rightAt = new int[e];
        var pred = logits.Predictions;
        var conf = logits.Scores(ConfidenceMeasure.MaxSoftmax);
        var labels = logits.Labels;
        _correct = labels is null ? null : new bool[n];
        int right = 0;
        for (int i = 0; i < n; i++)
        {
            int k = exitIndex[i];
            _prediction[i] = pred[(k * n) + i];
            _confidence[i] = conf[(k * n) + i];
            _cost[i] = logits.Costs[k];
            _histogram[k]++;
            if (_correct is not null && _prediction[i] == labels![i])
            {
                _correct[i] = true;
                rightAt[k]++;
                right++;
            }
        }

        Policy = policy;
        Costs = logits.Costs;
        Accuracy = _correct is null ? double.NaN : (double)right / n;
        AverageCost = ExpectedCost(_histogram, n, logits.Costs);
        _exitAccuracy = [.. Enumerable.Range(0, e).Select(k => _correct is null || _histogram[k] == 0 ? double.NaN : (double)rightAt[k] / _histogram[k])];
    }

    /// <summary>The policy's description (e.g. <c>max_softmax τ = [0.9, -∞]</c>).</summary>
    public string Policy { get; }

    /// <summary>Number of samples N.</summary>
    public int Samples => _exit.Length;

    /// <summary>The exits' cumulative costs C_k of the run's data.</summary>
    public IReadOnlyList<double> Costs { get; }

    /// <summary>Per sample, the exit (0-based) it answered at.</summary>
    public IReadOnlyList<int> ExitIndex => _exit;

    /// <summary>Per sample, the argmax of the answering exit's outputs.</summary>
    public IReadOnlyList<int> Prediction => _prediction;

    /// <summary>Per sample, the answering exit's max-softmax probability (whatever the policy).</summary>
    public IReadOnlyList<double> Confidence => _confidence;

    /// <summary>Per sample, the cost C_k of the exit it answered at.</summary>
    public IReadOnlyList<double> Cost => _cost;

    /// <summary>Per sample, whether the prediction equals the label; null when unlabelled.</summary>
    public IReadOnlyList<bool>? Correct => _correct;

    /// <summary>Share of samples right at the exit they took; NaN when unlabelled.</summary>
    public double Accuracy { get; }

    /// <summary>Expected cost per sample, Σ_k (n_k / N)·C_k.</summary>
    public double AverageCost { get; }

    /// <summary>n_k, the number of samples that answered at each exit.</summary>
    public IReadOnlyList<int> Histogram => _histogram;

    /// <summary>Per exit, the accuracy of the samples that answered there (NaN when none did, or unlabelled).</summary>
    public IReadOnlyList<double> ExitAccuracy => _exitAccuracy;

    /// <summary>E.g. <c>acc 0.9120, cost 1.2E+06, exits [40, 30, 30]</c>.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"acc {Accuracy:F4}, cost {AverageCost:G6}, exits [{string.Join(", ", _histogram)}]");

    /// <summary>
    /// Σ_k (n_k / N)·C_k, MSDNet's expected cost, computed as (Σ_k n_k·C_k) / N — exact before the division for
    /// integer MAC counts below 2^53 — and clamped to [min, max] of the C_k actually used, where the true average
    /// lies; so a mix of exits with equal costs never comes out an ulp above them. The calibrator uses this same
    /// function, so a calibration cost and a run's cost on the same data agree to the bit.
    /// </summary>
    internal static double ExpectedCost(int[] counts, int n, IReadOnlyList<double> costs)
    {
        double total = 0, lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int k = 0; k < counts.Length; k++)
        {
            if (counts[k] > 0)
            {
                total += counts[k] * costs[k];
                lo = Math.Min(lo, costs[k]);
                hi = Math.Max(hi, costs[k]);
            }
        }

        return Math.Clamp(total / n, lo, hi);
    }
}
