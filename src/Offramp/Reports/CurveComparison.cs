namespace Offramp.Reports;

/// <summary>An operating point of a run: average MACs per sample and the accuracy reached there.</summary>
/// <param name="Cost">Average MACs per sample.</param>
/// <param name="Accuracy">Accuracy in [0, 1].</param>
public readonly record struct CostAccuracy(double Cost, double Accuracy);

/// <summary>How two accuracy-vs-cost curves compare over the low-budget half of the cost range they share.</summary>
/// <param name="CommonLow">Start of the shared cost range: the larger of the two curves' cheapest points.</param>
/// <param name="CommonHigh">End of the shared cost range: the smaller of the two curves' dearest points.</param>
/// <param name="HalfEnd">End of the low-budget half, (<paramref name="CommonLow"/> + <paramref name="CommonHigh"/>) / 2.</param>
/// <param name="FractionAHigher">Fraction of [CommonLow, HalfEnd] (by cost) where curve A is strictly above B.</param>
/// <param name="FractionBHigher">Fraction of [CommonLow, HalfEnd] where B is strictly above A; the rest is a tie.</param>
/// <param name="MeanDifference">Mean of A − B over [CommonLow, HalfEnd] (accuracy units, not percent).</param>
public sealed record LowBudgetComparison(
    double CommonLow, double CommonHigh, double HalfEnd, double FractionAHigher, double FractionBHigher, double MeanDifference);

/// <summary>
/// The maths of <c>offramp compare</c>: a run's budgeted curve as a piecewise-linear function of average MACs, the
/// accuracy a run reaches within an absolute budget, and which of two curves is higher over the low-budget half of
/// their common cost range.
/// </summary>
/// <remarks>
/// A curve is its operating points sorted by cost; points with the same cost keep the highest accuracy (the better
/// thresholds for that cost); points with a non-finite coordinate are dropped. Between points the curve is linear;
/// outside [cheapest, dearest] it is undefined (NaN) — a curve is never extrapolated.
/// </remarks>
public static class CurveComparison
{
    /// <summary>The points as a curve: finite points sorted by cost, one per cost (the most accurate).</summary>
    public static IReadOnlyList<CostAccuracy> ToCurve(IEnumerable<CostAccuracy> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var sorted = points.Where(p => double.IsFinite(p.Cost) && double.IsFinite(p.Accuracy))
            .OrderBy(p => p.Cost).ThenByDescending(p => p.Accuracy).ToList();
        var curve = new List<CostAccuracy>(sorted.Count);
        foreach (var p in sorted)
        {
            if (curve.Count == 0 || curve[^1].Cost != p.Cost)
            {
                curve.Add(p);
            }
        }

        return curve;
    }

    /// <summary>Linear interpolation of <paramref name="curve"/> (from <see cref="ToCurve"/>) at
    /// <paramref name="cost"/>; NaN outside the curve's cost range or for an empty curve.</summary>
    public static double Interpolate(IReadOnlyList<CostAccuracy> curve, double cost)
    {
        ArgumentNullException.ThrowIfNull(curve);
        if (curve.Count == 0 || !(cost >= curve[0].Cost && cost <= curve[^1].Cost))
        {
            return double.NaN;
        }

        int hi = 0;
        while (curve[hi].Cost < cost)
        {
            hi++;
        }

        if (curve[hi].Cost == cost)
        {
            return curve[hi].Accuracy;
        }

        var (a, b) = (curve[hi - 1], curve[hi]);
        double t = (cost - a.Cost) / (b.Cost - a.Cost);
        return a.Accuracy + (t * (b.Accuracy - a.Accuracy));
    }

    /// <summary>The accuracy of the operating point with the largest cost ≤ <paramref name="budget"/> (ties: the
    /// most accurate) — what a run really delivers within that budget, never an interpolation; NaN when every point
    /// costs more (the run's cheapest exit is above the budget).</summary>
    public static double AccuracyWithin(IEnumerable<CostAccuracy> points, double budget)
    {
        ArgumentNullException.ThrowIfNull(points);
        CostAccuracy? best = null;
        foreach (var p in points)
        {
            if (double.IsFinite(p.Accuracy) && p.Cost <= budget &&
                (best is not { } b || p.Cost > b.Cost || (p.Cost == b.Cost && p.Accuracy > b.Accuracy)))
            {
                best = p;
            }
        }

        return best?.Accuracy ?? double.NaN;
    }

    /// <summary>Compares curve A with curve B over the low-budget half of their common cost range, exactly: the
    /// difference A − B is piecewise linear between the two curves' points, so each piece's share where A is above
    /// B (up to the crossing) and its mean are computed in closed form.</summary>
    /// <returns>The comparison; null when the curves' cost ranges do not overlap (or a curve is empty).</returns>
    /// <remarks>When the common range is a single cost, the fractions are 1/0 by the sign of A − B there.</remarks>
    public static LowBudgetComparison? CompareLowBudgetHalf(IReadOnlyList<CostAccuracy> a, IReadOnlyList<CostAccuracy> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0 || b.Count == 0)
        {
            return null;
        }

        double lo = Math.Max(a[0].Cost, b[0].Cost), hi = Math.Min(a[^1].Cost, b[^1].Cost);
        if (!(lo <= hi))
        {
            return null;
        }

        double mid = lo + ((hi - lo) / 2);
        double Diff(double x) => Interpolate(a, x) - Interpolate(b, x);
        if (mid == lo)
        {
            double d = Diff(lo);
            return new LowBudgetComparison(lo, hi, mid, d > 0 ? 1 : 0, d < 0 ? 1 : 0, d);
        }

        var xs = a.Concat(b).Select(p => p.Cost).Where(x => x > lo && x < mid).Append(lo).Append(mid)
            .Distinct().Order().ToArray();
        double aAbove = 0, bAbove = 0, integral = 0;
        for (int i = 0; i + 1 < xs.Length; i++)
        {
            double x0 = xs[i], x1 = xs[i + 1], w = x1 - x0, d0 = Diff(x0), d1 = Diff(x1);
            aAbove += PositiveLength(d0, d1, w);
            bAbove += PositiveLength(-d0, -d1, w);
            integral += (d0 + d1) / 2 * w;
        }

        double len = mid - lo;
        return new LowBudgetComparison(lo, hi, mid, aAbove / len, bAbove / len, integral / len);
    }

    /// <summary>Length of the part of a piece of width <paramref name="w"/> where the linear function from
    /// <paramref name="d0"/> to <paramref name="d1"/> is &gt; 0.</summary>
    private static double PositiveLength(double d0, double d1, double w)
    {
        if (d0 > 0 && d1 > 0)
        {
            return w;
        }

        if (d0 <= 0 && d1 <= 0)
        {
            return 0;
        }

        double t = d0 / (d0 - d1); // crossing point, in (0, 1) since the signs differ
        return d0 > 0 ? t * w : (1 - t) * w;
    }
}
