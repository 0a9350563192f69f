using Offramp.Engine;
using Offramp.Reports;

namespace Offramp.Tests.Reports;

public sealed class CurveComparisonTests
{
    private const double Atol = 1e-12;

    private static CostAccuracy P(double c, double a) => new(c, a);

    [Fact]
    public void ToCurve_UnsortedDuplicatesAndNaN_SortedOnePointPerCostTheMostAccurate()
    {
        var curve = CurveComparison.ToCurve([P(30, 0.5), P(10, 0.2), P(30, 0.7), P(double.NaN, 0.9), P(20, double.NaN), P(20, 0.4)]);

        Assert.Equal([P(10, 0.2), P(20, 0.4), P(30, 0.7)], curve);
    }

    [Theory]
    [InlineData(10, 0.2)]
    [InlineData(15, 0.3)]
    [InlineData(25, 0.55)]
    [InlineData(30, 0.7)]
    public void Interpolate_InsideRange_LinearBetweenNeighbours(double cost, double expected)
    {
        var curve = CurveComparison.ToCurve([P(10, 0.2), P(20, 0.4), P(30, 0.7)]);

        Assert.Equal(expected, CurveComparison.Interpolate(curve, cost), Atol);
    }

    [Theory]
    [InlineData(9.999)]
    [InlineData(30.001)]
    [InlineData(double.NaN)]
    public void Interpolate_OutsideRange_NaNNeverExtrapolated(double cost)
    {
        var curve = CurveComparison.ToCurve([P(10, 0.2), P(30, 0.7)]);

        Assert.True(double.IsNaN(CurveComparison.Interpolate(curve, cost)));
        Assert.True(double.IsNaN(CurveComparison.Interpolate([], 10)));
    }

    [Fact]
    public void AccuracyWithin_BudgetBelowFirstExit_NaN_ElseLargestCostAtMostBudget()
    {
        CostAccuracy[] points = [P(40, 0.9), P(10, 0.3), P(25, 0.6), P(25, 0.65)];

        Assert.True(double.IsNaN(CurveComparison.AccuracyWithin(points, 9.99)));
        Assert.Equal(0.3, CurveComparison.AccuracyWithin(points, 10));
        Assert.Equal(0.3, CurveComparison.AccuracyWithin(points, 24.9));
        Assert.Equal(0.65, CurveComparison.AccuracyWithin(points, 25));
        Assert.Equal(0.9, CurveComparison.AccuracyWithin(points, 1000));
    }

    [Fact]
    public void CompareLowBudgetHalf_LinesCrossing_ExactShareAndMean()
    {
        // A rises 0 → 1 over [0, 100]; B is flat at 0.2: A > B for cost > 20, so over the low half [0, 50] A is higher
        // on 30 of 50 (60 %), B on 20 (40 %); mean A − B = 0.25 − 0.2.
        var a = CurveComparison.ToCurve([P(0, 0), P(100, 1)]);
        var b = CurveComparison.ToCurve([P(0, 0.2), P(50, 0.2), P(100, 0.2)]);

        var r = CurveComparison.CompareLowBudgetHalf(a, b)!;
        var swapped = CurveComparison.CompareLowBudgetHalf(b, a)!;

        Assert.Equal((0.0, 100.0, 50.0), (r.CommonLow, r.CommonHigh, r.HalfEnd));
        Assert.Equal(0.6, r.FractionAHigher, Atol);
        Assert.Equal(0.4, r.FractionBHigher, Atol);
        Assert.Equal(0.05, r.MeanDifference, Atol);
        Assert.Equal(0.4, swapped.FractionAHigher, Atol);
        Assert.Equal(-0.05, swapped.MeanDifference, Atol);
    }

    [Fact]
    public void CompareLowBudgetHalf_DifferentRanges_UsesOnlyTheCommonRangeLowHalf()
    {
        // A lives on [10, 110], B on [0, 50]: common [10, 50], low half [10, 30]. A is above B only beyond 40, i.e. never
        // in the low half, although it is far above B beyond the common range.
        var a = CurveComparison.ToCurve([P(10, 0.1), P(40, 0.4), P(110, 0.99)]);
        var b = CurveComparison.ToCurve([P(0, 0.4), P(50, 0.4)]);

        var r = CurveComparison.CompareLowBudgetHalf(a, b)!;

        Assert.Equal((10.0, 50.0, 30.0), (r.CommonLow, r.CommonHigh, r.HalfEnd));
        Assert.Equal(0, r.FractionAHigher, Atol);
        Assert.Equal(1, r.FractionBHigher, Atol);
        Assert.Equal(((0.1 + 0.3) / 2) - 0.4, r.MeanDifference, Atol);
    }

    [Fact]
    public void CompareLowBudgetHalf_NoOverlapOrEmpty_Null_SinglePointOverlap_SignThere()
    {
        var a = CurveComparison.ToCurve([P(10, 0.5), P(20, 0.6)]);

        Assert.Null(CurveComparison.CompareLowBudgetHalf(a, CurveComparison.ToCurve([P(21, 0.1), P(30, 0.2)])));
        Assert.Null(CurveComparison.CompareLowBudgetHalf(a, []));
        var touch = CurveComparison.CompareLowBudgetHalf(a, CurveComparison.ToCurve([P(20, 0.1), P(30, 0.2)]))!;
        Assert.Equal((1.0, 0.0), (touch.FractionAHigher, touch.FractionBHigher));
        Assert.Equal(0.5, touch.MeanDifference, Atol);
    }

    [Fact]
    public void CompareLowBudgetHalf_RandomCurves_MatchesDenseSampling()
    {
        var rng = new Rng(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var a = CurveComparison.ToCurve(RandomPoints(rng, 2 + (trial % 7)));
            var b = CurveComparison.ToCurve(RandomPoints(rng, 2 + (trial % 5)));
            var r = CurveComparison.CompareLowBudgetHalf(a, b);
            if (r is null)
            {
                Assert.True(a[^1].Cost < b[0].Cost || b[^1].Cost < a[0].Cost, $"trial {trial}: overlapping curves gave no comparison");
                continue;
            }

            // Midpoint rule on a dense grid: the sampled share and mean approach the exact ones.
            const int n = 200_000;
            double len = r.HalfEnd - r.CommonLow, above = 0, below = 0, sum = 0;
            for (int i = 0; i < n; i++)
            {
                double x = r.CommonLow + ((i + 0.5) * len / n);
                double d = CurveComparison.Interpolate(a, x) - CurveComparison.Interpolate(b, x);
                above += d > 0 ? 1 : 0;
                below += d < 0 ? 1 : 0;
                sum += d;
            }

            Assert.True(Math.Abs((above / n) - r.FractionAHigher) < 1e-4, $"trial {trial}: A share sampled {above / n}, exact {r.FractionAHigher}");
            Assert.True(Math.Abs((below / n) - r.FractionBHigher) < 1e-4, $"trial {trial}: B share sampled {below / n}, exact {r.FractionBHigher}");
            Assert.True(Math.Abs((sum / n) - r.MeanDifference) < 1e-6, $"trial {trial}: mean sampled {sum / n}, exact {r.MeanDifference}");
        }
    }

    private static List<CostAccuracy> RandomPoints(Rng rng, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => P(100 * rng.NextDouble(), rng.NextDouble()))];
}
