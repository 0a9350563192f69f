using System.Globalization;
using System.Runtime.CompilerServices;

namespace Offramp.Inference;

public sealed partial class ThresholdCalibrator
{
    /// <summary>Points of the fine p grid the budget search evaluates (log-spaced over [<see cref="GridMinP"/>,
    /// <see cref="GridMaxP"/>]).</summary>
    public const int GridPoints = 2001;

    /// <summary>Smallest p of the budget search's grid.</summary>
    public const double GridMinP = 0.01;

    /// <summary>Largest p of the budget search's grid.</summary>
    public const double GridMaxP = 100;

    private readonly ConditionalWeakTable<ExitDistributionFamily, CalibrationPoint[]> _candidates = [];

    /// <summary>
    /// Thresholds for a budget B: of the candidate distributions, the one whose calibration-set expected cost is
    /// the largest ≤ B (ties: the higher calibration accuracy, then the earlier candidate).
    /// </summary>
    /// <remarks>
    /// <para>The search is a fine grid, not a bisection: the candidates are the family's sweep points, then q(p) for
    /// <see cref="GridPoints"/> values of p log-spaced over [<see cref="GridMinP"/>, <see cref="GridMaxP"/>]
    /// (neighbours 0.46 % apart), then the E one-hot distributions (everyone at exit k, cost C_k; Dyn-Perceiver's
    /// <c>each_exit</c>). Costs are step functions of p that need not be monotone, which a bisection would assume;
    /// a grid fixed in advance guarantees that the chosen cost never exceeds B and never decreases as B grows, and
    /// the one-hot at exit 1 makes every B ≥ C_1 reachable. The candidates are evaluated once per family and
    /// reused for every budget.</para>
    /// </remarks>
    /// <param name="budget">B, absolute or as a fraction of C_E.</param>
    /// <param name="family">The distribution family (e.g. <see cref="ExitDistributionFamily.MsdNet"/>).</param>
    /// <param name="test">Test outputs of the same model to report the thresholds' real cost and accuracy on; null
    /// for none.</param>
    /// <exception cref="ArgumentOutOfRangeException">B is below the first exit's cost C_1: no thresholds can meet it.</exception>
    /// <exception cref="ArgumentException">The family is for another number of exits, or the test outputs come from
    /// another model.</exception>
    public BudgetResult ForBudget(Budget budget, ExitDistributionFamily family, ExitLogits? test = null)
    {
        CheckFamily(family);
        double b = budget.Resolve(_calibration.FullCost);
        double c1 = _calibration.Costs[0];
        if (!(b >= c1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(budget),
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"budget {budget} = {b:G6} per sample is below the cost of the first exit '{_calibration.ExitNames[0]}' ({c1:G6} per sample): even if every sample left there, the average cost would be {c1:G6}. The reachable range is [{c1:G6}, {_calibration.FullCost:G6}]"));
        }

        if (test is not null)
        {
            CheckSameModel(_calibration.Identity, test, nameof(test));
        }

        var candidates = Candidates(family);
        CalibrationPoint? best = null;
        foreach (var c in candidates)
        {
            if (c.Cost <= b && (best is null || c.Cost > best.Cost || (c.Cost == best.Cost && c.Accuracy > best.Accuracy)))
            {
                best = c;
            }
        }

        // The one-hot at exit 1 costs exactly (N/N)·C_1 = C_1 ≤ B, so best is set.
        var chosen = Copy(best!);
        chosen.Budget = b;
        return new BudgetResult(budget, b, chosen, test is null ? null : SimulatedRunner.Run(test, chosen.Policy), candidates.Count);
    }

    /// <summary>Every distribution the budget search considers for <paramref name="family"/>, evaluated on the
    /// calibration set, in candidate order (sweep points, grid by ascending p, one-hots).</summary>
    /// <exception cref="ArgumentException">The family is for another number of exits.</exception>
    public IReadOnlyList<CalibrationPoint> Candidates(ExitDistributionFamily family)
    {
        CheckFamily(family);
        return _candidates.GetValue(family, BuildCandidates);
    }

    private CalibrationPoint[] BuildCandidates(ExitDistributionFamily family)
    {
        int e = _calibration.Exits;
        var list = new List<CalibrationPoint>(family.SweepPValues.Count + GridPoints + e);
        list.AddRange(Sweep(family));
        double lo = Math.Log(GridMinP), hi = Math.Log(GridMaxP);
        for (int i = 0; i < GridPoints; i++)
        {
            double p = Math.Exp(lo + ((hi - lo) * i / (GridPoints - 1)));
            list.Add(Calibrate(family.Generate(p), family.Name, p));
        }

        for (int k = 0; k < e; k++)
        {
            list.Add(Calibrate(ExitDistribution.OneHot(k, e), "one_hot", null));
        }

        return [.. list];
    }

    private static CalibrationPoint Copy(CalibrationPoint c) => new(
        c.Generator, c.P, [.. c.Distribution], c.Policy, c.Model, c.Samples, [.. c.TargetCounts], [.. c.Histogram], c.Cost, c.Accuracy);
}
