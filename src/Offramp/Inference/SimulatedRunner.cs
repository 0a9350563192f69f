namespace Offramp.Inference;

/// <summary>
/// Applies exit policies to stored exit outputs (<see cref="ExitLogits"/>, from <c>ForwardAll</c>): which exit each
/// sample would answer at, what it would predict and what it would cost, without running the model. Fast enough
/// for sweeps; it reports counted costs only (a real runner must measure time).
/// </summary>
public static class SimulatedRunner
{
    /// <summary>The regimes benchmark's fractions of the full cost: 25, 50, 75 and 100 %.</summary>
    public static IReadOnlyList<double> DefaultCostFractions { get; } = [0.25, 0.5, 0.75, 1.0];

    /// <summary>Runs <paramref name="policy"/> on every sample: each answers at the first exit k &lt; E−1 where the
    /// policy says so, else at the last exit.</summary>
    /// <exception cref="ArgumentException">A <see cref="ThresholdPolicy"/> has not one threshold per exit.</exception>
    public static SimulatedRun Run(ExitLogits logits, IExitPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(policy);
        int n = logits.Samples, e = logits.Exits;
        var exitAt = new int[n];
        if (policy is ThresholdPolicy tp)
        {
            // Same decision as tp.ShouldExit (score ≥ score threshold, ExitConfidence.Score), from cached scores.
            if (tp.Thresholds.Count != e)
            {
                throw new ArgumentException($"{tp.Name}: {tp.Thresholds.Count} thresholds for {e} exits", nameof(policy));
            }

            FirstExits(logits.Scores(tp.Measure), n, e, tp.ScoreThresholds(), exitAt);
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                int k = 0;
                while (k < e - 1 && !policy.ShouldExit(logits.Sample(i, k)))
                {
                    k++;
                }

                exitAt[i] = k;
            }
        }

        return new SimulatedRun(logits, exitAt, policy is ThresholdPolicy or PatiencePolicy ? policy.ToString()! : policy.Name);
    }

    /// <summary>Every sample answers at exit <paramref name="exit"/> (a deadline that interrupts after it).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exit"/> is not an exit.</exception>
    public static SimulatedRun RunAtExit(ExitLogits logits, int exit)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if ((uint)exit >= (uint)logits.Exits)
        {
            throw new ArgumentOutOfRangeException(nameof(exit), exit, $"exit outside [0, {logits.Exits})");
        }

        var exitAt = new int[logits.Samples];
        Array.Fill(exitAt, exit);
        return new SimulatedRun(logits, exitAt, $"exit {logits.ExitNames[exit]}");
    }

    /// <summary>The anytime curve (MSDNet's <c>--evalmode anytime</c>): each exit's accuracy on all samples against
    /// its cost C_k.</summary>
    public static IReadOnlyList<AnytimePoint> Anytime(ExitLogits logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        return [.. Enumerable.Range(0, logits.Exits).Select(k =>
            new AnytimePoint(k, logits.ExitNames[k], logits.Costs[k], RunAtExit(logits, k).Accuracy))];
    }

    /// <summary>
    /// The regimes benchmark's sweep (<c>eval.py</c>): <paramref name="count"/> evenly spaced thresholds, the same at
    /// every exit — in [0, 1] for max-softmax, in [0, ln K] for entropy — one run each, in threshold order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> &lt; 2.</exception>
    public static IReadOnlyList<SimulatedRun> UniformThresholdSweep(
        ExitLogits logits, int count = 100, ConfidenceMeasure measure = ConfidenceMeasure.MaxSoftmax)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        double top = measure == ConfidenceMeasure.Entropy ? Math.Log(logits.Classes) : 1.0;
        var runs = new SimulatedRun[count];
        for (int i = 0; i < count; i++)
        {
            double t = top * i / (count - 1);
            runs[i] = Run(logits, ThresholdPolicy.Create(measure, Enumerable.Repeat(t, logits.Exits).ToArray()));
        }

        return runs;
    }

    /// <summary>
    /// Accuracy at fixed fractions of the full cost C_E: for each fraction f, the run with the largest average cost
    /// ≤ f·C_E (ties: the more accurate), as the regimes benchmark's <c>cost_vs_table.py</c> reads its curve.
    /// </summary>
    /// <param name="runs">Points of an accuracy-vs-cost curve (a sweep).</param>
    /// <param name="fullCost">C_E.</param>
    /// <param name="fractions">Fractions of C_E; null for <see cref="DefaultCostFractions"/>.</param>
    /// <returns>One entry per fraction; NaN accuracy and cost when no run fits.</returns>
    public static IReadOnlyList<CostFractionAccuracy> AccuracyAtCostFractions(
        IEnumerable<SimulatedRun> runs, double fullCost, IReadOnlyList<double>? fractions = null)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var points = runs.Select(r => (r.AverageCost, r.Accuracy)).ToList();
        return AtCostFractions(points, fullCost, fractions ?? DefaultCostFractions);
    }

    internal static IReadOnlyList<CostFractionAccuracy> AtCostFractions(
        IReadOnlyList<(double Cost, double Accuracy)> points, double fullCost, IReadOnlyList<double> fractions)
    {
        var result = new List<CostFractionAccuracy>(fractions.Count);
        foreach (double f in fractions)
        {
            double budget = f * fullCost;
            (double Cost, double Accuracy)? best = null;
            foreach (var p in points)
            {
                if (p.Cost <= budget && (best is not { } b || p.Cost > b.Cost || (p.Cost == b.Cost && p.Accuracy > b.Accuracy)))
                {
                    best = p;
                }
            }

            result.Add(new CostFractionAccuracy(f, budget, best?.Accuracy ?? double.NaN, best?.Cost ?? double.NaN));
        }

        return result;
    }

    /// <summary>exitAt[i] = first k &lt; E−1 with score[k·N + i] ≥ t[k], else E−1.</summary>
    internal static void FirstExits(double[] scores, int n, int e, double[] scoreThresholds, int[] exitAt)
    {
        for (int i = 0; i < n; i++)
        {
            int k = 0;
            while (k < e - 1 && !(scores[(k * n) + i] >= scoreThresholds[k]))
            {
                k++;
            }

            exitAt[i] = k;
        }
    }
}
