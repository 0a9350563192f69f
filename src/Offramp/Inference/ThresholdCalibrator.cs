using System.Buffers;
using System.Globalization;

namespace Offramp.Inference;

/// <summary>
/// MSDNet's budgeted-batch threshold search (Huang et al., ICLR 2018; kalviny/MSDNet-PyTorch and
/// LeapLabTHU/Dynamic_Perceiver <c>adaptive_inference.py</c>, <c>dynamic_eval_find_threshold</c>): from held-out
/// exit outputs, per-exit thresholds that send a target share q_k of the samples out at each exit.
/// </summary>
/// <remarks>
/// <para>The protocol (budgeted-inference.md, step 3): τ_E = −∞; for k = 1..E−1, among the samples not yet exited,
/// the ⌊N·q_k⌋-th highest confidence sets τ_k, and every remaining sample with confidence ≥ τ_k exits at k. As in
/// the official code, τ_k stays +∞ (nobody exits at k) when ⌊N·q_k⌋ = 0 or fewer samples remain than that; ties
/// at τ_k all exit, so n_k can exceed ⌊N·q_k⌋.</para>
/// <para>Confidence is max-softmax (the papers) or, with <see cref="ConfidenceMeasure.Entropy"/>, negated entropy,
/// so the same search gives entropy thresholds (exit when H ≤ τ_k).</para>
/// <para>Use a held-out calibration split, never the test set and never augmented training images (Dyn-Perceiver's
/// code calibrates on augmented training batches; dynamic-perceiver.md §A.5).</para>
/// </remarks>
public sealed partial class ThresholdCalibrator
{
    private readonly ExitLogits _calibration;
    private readonly double[] _scores;
    private readonly int[] _predictions;
    private readonly int[][] _order;
    private readonly int[]? _labels;

    /// <summary>Prepares the search on calibration outputs: computes every confidence and sorts each exit's once.</summary>
    /// <param name="calibration">Held-out outputs with labels (for the calibration accuracy; unlabelled gives NaN).</param>
    /// <param name="measure">The confidence the thresholds apply to.</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown <paramref name="measure"/>.</exception>
    public ThresholdCalibrator(ExitLogits calibration, ConfidenceMeasure measure = ConfidenceMeasure.MaxSoftmax)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        if (!Enum.IsDefined(measure))
        {
            throw new ArgumentOutOfRangeException(nameof(measure), measure, "unknown confidence measure");
        }

        _calibration = calibration;
        Measure = measure;
        _scores = calibration.Scores(measure);
        _predictions = calibration.Predictions;
        _labels = calibration.LabelArray;
        int n = calibration.Samples;
        _order = new int[calibration.Exits - 1][];
        for (int k = 0; k < _order.Length; k++)
        {
            // Descending by score. The order among equal scores does not matter: τ_k is the ⌊N·q_k⌋-th largest
            // score among the remaining samples, a value independent of how ties are ordered.
            var keys = new double[n];
            var idx = new int[n];
            for (int i = 0; i < n; i++)
            {
                keys[i] = -_scores[(k * n) + i];
                idx[i] = i;
            }

            Array.Sort(keys, idx);
            _order[k] = idx;
        }
    }

    /// <summary>The calibration outputs.</summary>
    public ExitLogits Calibration => _calibration;

    /// <summary>The confidence the thresholds apply to.</summary>
    public ConfidenceMeasure Measure { get; }

    /// <summary>Thresholds for a target exit distribution q (one share per exit, ≥ 0, summing to 1).</summary>
    /// <exception cref="ArgumentException">q has not one entry per exit, has a negative or non-finite entry, or does
    /// not sum to 1 (± 1e-6).</exception>
    public CalibrationPoint Calibrate(IReadOnlyList<double> distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        return Calibrate([.. distribution], "custom", null);
    }

    /// <summary>One calibration point per p of the family's sweep, in its order (MSDNet: 39, Dyn-Perceiver: 33).</summary>
    /// <exception cref="ArgumentException">The family is for another number of exits.</exception>
    public IReadOnlyList<CalibrationPoint> Sweep(ExitDistributionFamily family)
    {
        CheckFamily(family);
        return [.. family.SweepPValues.Select(p => Calibrate(family.Generate(p), family.Name, p))];
    }

    /// <summary>
    /// The accuracy-vs-cost curve: the family's sweep, each point run on <paramref name="test"/> when given, plus
    /// each exit's anytime point (on the test outputs when given, else on the calibration outputs).
    /// </summary>
    /// <exception cref="ArgumentException">The family is for another number of exits, or the test outputs come from
    /// another model.</exception>
    public BudgetCurve Sweep(ExitDistributionFamily family, ExitLogits? test)
    {
        var points = Sweep(family);
        if (test is not null)
        {
            CheckSameModel(_calibration.Identity, test, nameof(test));
        }

        return new BudgetCurve(
            family.Name,
            [.. points.Select(p => new CurvePoint(p, test is null ? null : SimulatedRunner.Run(test, p.Policy)))],
            SimulatedRunner.Anytime(test ?? _calibration),
            _calibration.FullCost);
    }

    internal static void CheckSameModel(ModelIdentity model, ExitLogits other, string paramName)
    {
        var d = model.Differences(other.Identity);
        if (d.Count > 0)
        {
            throw new ArgumentException(
                $"outputs of {other.Identity} do not come from the calibrated model {model}: {string.Join("; ", d)}", paramName);
        }
    }

    internal CalibrationPoint Calibrate(double[] q, string generator, double? p)
    {
        int e = _calibration.Exits, n = _calibration.Samples;
        CheckDistribution(q, e);
        var scoreT = new double[e];
        var target = new int[e];
        // exitAt[i] = e − 1 means "not exited yet" while exits 0..e−2 are walked (pooled: N can be large and
        // the budget search calls this thousands of times).
        int[] exitAt = ArrayPool<int>.Shared.Rent(n);
        int[] histogram = new int[e];
        int right = 0;
        try
        {
            Array.Fill(exitAt, e - 1, 0, n);
            for (int k = 0; k < e - 1; k++)
            {
                scoreT[k] = double.PositiveInfinity;
                long outN = (long)Math.Floor(n * q[k]);
                target[k] = (int)Math.Min(outN, n);
                if (outN < 1)
                {
                    continue;
                }

                // Walk the samples by descending score, counting those not yet exited; the outN-th sets τ_k.
                long count = 0;
                int kn = k * n;
                foreach (int i in _order[k])
                {
                    if (exitAt[i] == e - 1 && ++count == outN)
                    {
                        scoreT[k] = _scores[kn + i];
                        break;
                    }
                }

                double t = scoreT[k];
                if (double.IsPositiveInfinity(t))
                {
                    continue;
                }

                for (int i = 0; i < n; i++)
                {
                    if (exitAt[i] == e - 1 && _scores[kn + i] >= t)
                    {
                        exitAt[i] = k;
                    }
                }
            }

            for (int i = 0; i < n; i++)
            {
                int k = exitAt[i];
                histogram[k]++;
                if (_labels is not null && _predictions[(k * n) + i] == _labels[i])
                {
                    right++;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(exitAt);
        }

        scoreT[e - 1] = double.NegativeInfinity;
        var thresholds = scoreT.Select(t => ExitConfidence.ToScoreThreshold(Measure, t)).ToArray();
        return new CalibrationPoint(
            generator,
            p,
            q,
            ThresholdPolicy.Create(Measure, thresholds),
            _calibration.Identity,
            n,
            target,
            histogram,
            SimulatedRun.ExpectedCost(histogram, n, _calibration.Costs),
            _labels is null ? double.NaN : (double)right / n);
    }

    private void CheckFamily(ExitDistributionFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        if (family.Exits != _calibration.Exits)
        {
            throw new ArgumentException(
                $"distribution family {family} does not fit a model with {_calibration.Exits} exits", nameof(family));
        }
    }

    private static void CheckDistribution(double[] distribution, int exits)
    {
        double sum = distribution.Sum();
        if (distribution.Length != exits || distribution.Any(v => !double.IsFinite(v) || v < 0) || Math.Abs(sum - 1) > 1e-6)
        {
            throw new ArgumentException(
                $"exit distribution [{string.Join(", ", distribution.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}] must have {exits} shares ≥ 0 summing to 1 (sum {sum.ToString("G17", CultureInfo.InvariantCulture)})",
                nameof(distribution));
        }
    }
}
