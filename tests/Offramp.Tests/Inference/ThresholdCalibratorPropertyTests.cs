using Offramp.Engine;
using Offramp.Inference;

namespace Offramp.Tests.Inference;

/// <summary>Invariants of the budget search over many random logit sets and budgets (fixed seeds).</summary>
public sealed class ThresholdCalibratorPropertyTests
{
    private const int Sets = 30;

    /// <summary>A random set, a family fitting it, and sorted random budgets in [C_1, 1.2·C_E].</summary>
    private static IEnumerable<(ExitLogits Logits, ExitDistributionFamily Family, double[] Budgets)> Cases(ulong seed)
    {
        var rng = new Rng(seed);
        for (int s = 0; s < Sets; s++)
        {
            int e = 2 + rng.NextInt(4);
            var logits = InferenceData.Random(rng, e, 1 + rng.NextInt(80), 2 + rng.NextInt(5));
            var family = s % 2 == 0
                ? ExitDistributionFamily.MsdNet(e)
                : ExitDistributionFamily.DynPerceiver([.. Enumerable.Range(0, e).Select(_ => 0.3 + (0.7 * rng.NextDouble()))]);
            double c1 = logits.Costs[0], ce = logits.FullCost;
            var budgets = Enumerable.Range(0, 25).Select(_ => c1 + (rng.NextDouble() * ((1.2 * ce) - c1)))
                .Concat([c1, ce]).Concat(logits.Costs).Order().ToArray();
            yield return (logits, family, budgets);
        }
    }

    [Fact]
    public void ForBudget_RandomSetsAndBudgets_CalibrationCostNeverExceedsBudget()
    {
        foreach (var (logits, family, budgets) in Cases(11))
        {
            var calibrator = new ThresholdCalibrator(logits);
            foreach (double b in budgets)
            {
                var r = calibrator.ForBudget(Budget.Macs(b), family);

                Assert.True(r.Calibration.Cost <= b, $"cost {r.Calibration.Cost:R} > budget {b:R} ({family}, N = {logits.Samples})");
            }
        }
    }

    [Fact]
    public void ForBudget_IncreasingBudget_CostNonDecreasing()
    {
        foreach (var (logits, family, budgets) in Cases(12))
        {
            var calibrator = new ThresholdCalibrator(logits, ConfidenceMeasure.Entropy);
            double previous = double.NegativeInfinity;
            foreach (double b in budgets)
            {
                double cost = calibrator.ForBudget(Budget.Macs(b), family).Calibration.Cost;

                Assert.True(cost >= previous, $"budget {b:R}: cost {cost:R} < {previous:R} at a smaller budget");
                previous = cost;
            }
        }
    }

    [Fact]
    public void ForBudget_BudgetAtLeastFullCost_ReachesFullCost()
    {
        foreach (var (logits, family, _) in Cases(13))
        {
            var r = new ThresholdCalibrator(logits).ForBudget(Budget.FractionOfFullCost(1.5), family);

            Assert.Equal(logits.FullCost, r.Calibration.Cost);
        }
    }

    [Fact]
    public void Calibrate_RandomSets_RunnerReproducesCalibrationCostAndHistogram()
    {
        foreach (var (logits, family, _) in Cases(14))
        {
            foreach (var point in new ThresholdCalibrator(logits).Sweep(family))
            {
                var run = SimulatedRunner.Run(logits, point.Policy);

                Assert.Equal(point.Histogram, run.Histogram);
                Assert.Equal(point.Cost, run.AverageCost);
                Assert.Equal(point.Accuracy, run.Accuracy);
            }
        }
    }

    [Fact]
    public void Calibrate_RandomSets_ExitCountsMatchFloorNq()
    {
        // Continuous random logits have distinct confidences, so every open exit takes exactly ⌊N·q_k⌋ samples
        // while enough remain.
        foreach (var (logits, family, _) in Cases(15))
        {
            foreach (var point in new ThresholdCalibrator(logits).Sweep(family))
            {
                int remaining = logits.Samples;
                for (int k = 0; k < logits.Exits - 1; k++)
                {
                    int target = point.TargetCounts[k];
                    int expected = target >= 1 && target <= remaining ? target : 0;

                    Assert.Equal(expected, point.Histogram[k]);
                    remaining -= point.Histogram[k];
                }

                Assert.Equal(remaining, point.Histogram[^1]);
            }
        }
    }
}
