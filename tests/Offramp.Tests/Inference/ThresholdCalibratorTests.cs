using Offramp.Inference;

namespace Offramp.Tests.Inference;

public sealed class ThresholdCalibratorTests
{
    private const double Atol = 1e-12;

    // 3 exits, 10 samples. Exit 0 ranks the samples 0..9; exit 1 is most confident on 0, 1, 2 (already gone by
    // then), so the walk must skip them. Labels all 0 except samples 3 and 6.
    private static readonly double[][] Conf =
    [
        [0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.51],
        [0.99, 0.98, 0.97, 0.6, 0.7, 0.8, 0.9, 0.55, 0.65, 0.75],
        [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
    ];

    private static ExitLogits Ten() => InferenceData.Crafted(
        Conf, InferenceData.ZeroPredictions(3, 10), [1, 2, 4], [0, 0, 0, 1, 0, 0, 1, 0, 0, 0]);

    [Fact]
    public void Calibrate_CraftedConfidences_ThresholdsAtTheFloorNqthRemaining()
    {
        var point = new ThresholdCalibrator(Ten()).Calibrate([0.25, 0.5, 0.25]);

        // ⌊10·0.25⌋ = 2: samples 0, 1 → τ_1 = 0.9. ⌊10·0.5⌋ = 5 among 2..9 by exit-1 confidence: 2 (0.97), 6, 5, 9,
        // 4 (0.7) → τ_2 = 0.7. Samples 3, 7, 8 reach the last exit.
        Assert.Equal([(double)0.9f, (double)0.7f, double.NegativeInfinity], point.Thresholds);
        Assert.Equal([2, 5, 0], point.TargetCounts);
        Assert.Equal([2, 5, 3], point.Histogram);
        Assert.Equal((0.2 * 1) + (0.5 * 2) + (0.3 * 4), point.Cost, Atol);
        Assert.Equal(0.8, point.Accuracy, Atol);
    }

    [Fact]
    public void Calibrate_CraftedConfidences_RunnerReproducesCalibrationExactly()
    {
        var logits = Ten();
        var point = new ThresholdCalibrator(logits).Calibrate([0.3, 0.5, 0.2]);

        var run = SimulatedRunner.Run(logits, point.Policy);

        Assert.Equal(point.Histogram, run.Histogram);
        Assert.Equal(point.Cost, run.AverageCost);
        Assert.Equal(point.Accuracy, run.Accuracy);
    }

    [Fact]
    public void Calibrate_TiesAtTheThreshold_AllTiedSamplesExit()
    {
        // ⌊4·0.25⌋ = 1 → τ_1 = 0.8, but three samples have 0.8.
        var logits = InferenceData.Crafted(
            [[0.8, 0.8, 0.8, 0.6], [0.9, 0.9, 0.9, 0.9]], InferenceData.ZeroPredictions(2, 4), [1, 2]);

        var point = new ThresholdCalibrator(logits).Calibrate([0.25, 0.75]);

        Assert.Equal([1, 0], point.TargetCounts);
        Assert.Equal([3, 1], point.Histogram);
    }

    [Fact]
    public void Calibrate_FewerRemainingThanTarget_ExitClosedWithPlusInfinity()
    {
        // Exit 1 takes 3 (tie); exit 2 wants ⌊4·0.5⌋ = 2 but 1 remains: τ_2 stays +∞ as in the official code.
        var logits = InferenceData.Crafted(
            [[0.9, 0.8, 0.8, 0.6], [0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9]], InferenceData.ZeroPredictions(3, 4), [1, 2, 3]);

        var point = new ThresholdCalibrator(logits).Calibrate([0.5, 0.5, 0]);

        Assert.Equal(double.PositiveInfinity, point.Thresholds[1]);
        Assert.Equal([3, 0, 1], point.Histogram);
    }

    [Fact]
    public void Calibrate_ZeroShare_NobodyExitsThere()
    {
        var point = new ThresholdCalibrator(Ten()).Calibrate([0, 0.5, 0.5]);

        Assert.Equal(double.PositiveInfinity, point.Thresholds[0]);
        Assert.Equal([0, 5, 5], point.Histogram);
    }

    [Fact]
    public void Calibrate_OneHotFirst_EverySampleAtFirstExitAtCostC1()
    {
        var point = new ThresholdCalibrator(Ten()).Calibrate(ExitDistribution.OneHot(0, 3));

        Assert.Equal((double)0.51f, point.Thresholds[0]);
        Assert.Equal([10, 0, 0], point.Histogram);
        Assert.Equal(1.0, point.Cost);
    }

    [Fact]
    public void Calibrate_EntropyMeasure_SameExitsAndThresholdIsTheEntropy()
    {
        // Two classes: entropy falls as confidence rises, so the ranking and the exits are the same.
        var logits = Ten();
        var soft = new ThresholdCalibrator(logits).Calibrate([0.25, 0.5, 0.25]);

        var ent = new ThresholdCalibrator(logits, ConfidenceMeasure.Entropy).Calibrate([0.25, 0.5, 0.25]);

        Assert.IsType<EntropyPolicy>(ent.Policy);
        Assert.Equal(soft.Histogram, ent.Histogram);
        Assert.Equal(ExitConfidence.Entropy([0.9f, 1 - 0.9f], true), ent.Thresholds[0], Atol);
        Assert.Equal(double.PositiveInfinity, ent.Thresholds[2]);
        Assert.Equal(ent.Histogram, SimulatedRunner.Run(logits, ent.Policy).Histogram);
    }

    [Fact]
    public void Calibrate_DistributionNotSummingToOne_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ThresholdCalibrator(Ten()).Calibrate([0.5, 0.5, 0.5]));

        Assert.Contains("summing to 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_MsdNet_ThirtyNinePointsWithCostGrowingInP()
    {
        var logits = InferenceData.Random(new Engine.Rng(3), 3, 200, 4);

        var points = new ThresholdCalibrator(logits).Sweep(ExitDistributionFamily.MsdNet(3));

        Assert.Equal(39, points.Count);
        Assert.True(points[0].Cost < points[^1].Cost);
        Assert.All(points, p => Assert.Equal("msdnet", p.Generator));
    }

    [Fact]
    public void Sweep_WithTest_CurveHasTestRunsAndAnytimePoints()
    {
        var cal = InferenceData.Random(new Engine.Rng(4), 4, 100, 5);
        var test = InferenceData.Random(new Engine.Rng(5), 4, 80, 5);
        test = new ExitLogits(test.Values, 4, 80, 5, cal.Costs, test.Labels, modelName: "random");

        var curve = new ThresholdCalibrator(cal).Sweep(ExitDistributionFamily.DynPerceiver(), test);

        Assert.Equal(33, curve.Points.Count);
        Assert.All(curve.Points, p => Assert.Equal(80, p.Test!.Samples));
        Assert.Equal(cal.Costs, curve.Anytime.Select(a => a.Cost));
        Assert.Equal(4, curve.AccuracyAtCostFractions().Count);

        // Dyn-Perceiver's list holds p = 1 twice (indices 16 and 17): two identical points.
        Assert.Equal(curve.Points[16].Calibration.Thresholds, curve.Points[17].Calibration.Thresholds);
    }

    [Fact]
    public void Sweep_FamilyForOtherExitCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ThresholdCalibrator(Ten()).Sweep(ExitDistributionFamily.DynPerceiver()));
    }

    [Fact]
    public void ForBudget_BelowFirstExitCost_ThrowsWithReachableRange()
    {
        var calibrator = new ThresholdCalibrator(Ten());

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => calibrator.ForBudget(Budget.Macs(0.5), ExitDistributionFamily.MsdNet(3)));

        Assert.Contains("below the cost of the first exit 'exit1'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForBudget_FractionBelowFirstExit_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new ThresholdCalibrator(Ten()).ForBudget(Budget.FractionOfFullCost(0.2), ExitDistributionFamily.MsdNet(3)));
    }

    [Fact]
    public void ForBudget_ExactlyFirstExitCost_EverySampleAtFirstExit()
    {
        var r = new ThresholdCalibrator(Ten()).ForBudget(Budget.Macs(1), ExitDistributionFamily.MsdNet(3));

        Assert.Equal(1.0, r.Calibration.Cost);
        Assert.Equal([10, 0, 0], r.Calibration.Histogram);
    }

    [Fact]
    public void ForBudget_FullCost_CostIsFullCost()
    {
        var r = new ThresholdCalibrator(Ten()).ForBudget(Budget.FractionOfFullCost(1), ExitDistributionFamily.MsdNet(3));

        Assert.Equal(4.0, r.Calibration.Cost);
        Assert.Equal(4.0, r.BudgetMacs);
    }

    [Fact]
    public void ForBudget_CraftedSet_PicksTheLargestCostWithinBudget()
    {
        // Costs are multiples of 0.1 here (n_k/10 · {1, 2, 4}); every reachable value ≤ 2.05 is a candidate's.
        var calibrator = new ThresholdCalibrator(Ten());
        var family = ExitDistributionFamily.MsdNet(3);

        var r = calibrator.ForBudget(Budget.Macs(2.05), family);

        double best = calibrator.Candidates(family).Where(c => c.Cost <= 2.05).Max(c => c.Cost);
        Assert.Equal(best, r.Calibration.Cost);
        Assert.Equal(2.05, r.Calibration.Budget);
        Assert.InRange(r.Calibration.Cost, 1.9, 2.05);
    }

    [Fact]
    public void ForBudget_WithTest_ReportsTestRun()
    {
        var logits = Ten();

        var r = new ThresholdCalibrator(logits).ForBudget(Budget.Macs(2.5), ExitDistributionFamily.MsdNet(3), logits);

        Assert.NotNull(r.Test);
        Assert.Equal(r.Calibration.Cost, r.Test!.AverageCost);
    }

    [Fact]
    public void ForBudget_TestFromOtherModel_Throws()
    {
        var logits = Ten();
        var other = InferenceData.Crafted(Conf, InferenceData.ZeroPredictions(3, 10), [1, 2, 5]);

        var ex = Assert.Throws<ArgumentException>(
            () => new ThresholdCalibrator(logits).ForBudget(Budget.Macs(2), ExitDistributionFamily.MsdNet(3), other));

        Assert.Contains("cost 4 vs 5", ex.Message, StringComparison.Ordinal);
    }
}
