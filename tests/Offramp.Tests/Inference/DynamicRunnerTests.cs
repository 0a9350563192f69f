using Offramp.Engine;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Tests.Training;

namespace Offramp.Tests.Inference;

/// <summary>The dynamic runner gives the answers the simulated runner computes from ForwardAll, while really
/// dropping the samples that exited (issue 5).</summary>
public sealed class DynamicRunnerTests
{
    private const double ConfidenceAtol = 1e-5;

    private static List<(Tensor Images, int[]? Labels)> Data(MultiExitModel model, int batches, int n, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, batches).Select(_ => (Tensor.Randn(rng, [n, .. model.InputShape]),
            (int[]?)[.. Enumerable.Range(0, n).Select(_ => rng.NextInt(model.NumClasses))]))];
    }

    private static ExitLogits Simulated(MultiExitModel model, List<(Tensor Images, int[]? Labels)> data)
    {
        model.Eval();
        using var _ = Autograd.NoGrad();
        return ExitLogits.FromOutputs([.. data.Select(d => model.ForwardAll(d.Images))], [.. data.Select(d => d.Labels!)]);
    }

    /// <summary>Per exit, a threshold halfway between two neighbouring confidences near the median, so float noise
    /// from a smaller batch cannot move a sample across it.</summary>
    // The midpoint threshold policy of the model's exits on `data` and the simulated run it gives: the answers a
    // dynamic run must reproduce.
    private static (MaxSoftmaxPolicy Policy, SimulatedRun Expected) MidpointOracle(MultiExitModel model,
        List<(Tensor Images, int[]? Labels)> data)
    {
        var logits = Simulated(model, data);
        var policy = MidpointPolicy(logits);
        return (policy, SimulatedRunner.Run(logits, policy));
    }

    private static MaxSoftmaxPolicy MidpointPolicy(ExitLogits logits)
    {
        var t = new double[logits.Exits];
        var scores = logits.Scores(ConfidenceMeasure.MaxSoftmax);
        for (int k = 0; k < logits.Exits - 1; k++)
        {
            var s = scores.Skip(k * logits.Samples).Take(logits.Samples).Order().ToArray();
            int i = s.Length / 2;
            while (i + 1 < s.Length && s[i + 1] - s[i] < 1e-3)
            {
                i++;
            }

            t[k] = (s[i] + s[i + 1]) / 2;
        }

        t[^1] = double.NegativeInfinity;
        return new MaxSoftmaxPolicy(t);
    }

    private static void AssertSameAnswers(SimulatedRun expected, DynamicRun actual)
    {
        Assert.Equal(expected.ExitIndex, actual.ExitIndex);
        Assert.Equal(expected.Prediction, actual.Prediction);
        Assert.Equal(expected.Histogram, actual.Histogram);
        Assert.Equal(expected.AverageCost, actual.AverageMacs);
        Assert.Equal(expected.Accuracy, actual.Accuracy);
        for (int i = 0; i < expected.Samples; i++)
        {
            Assert.True(Math.Abs(expected.Confidence[i] - actual.Confidence[i]) <= ConfidenceAtol,
                $"sample {i}: confidence {actual.Confidence[i]} vs simulated {expected.Confidence[i]}");
            Assert.Equal(expected.Cost[i], actual.Macs(i));
        }
    }

    [Fact]
    public void Run_ThresholdPolicy_MatchesSimulatedRunInInputOrder()
    {
        var model = new TinyMultiExit(3, classes: 5, hidden: 10, dropout: 0.3);
        var data = Data(model, 3, 17, 11);
        var (policy, expected) = MidpointOracle(model, data);

        var run = new DynamicRunner(model, policy).Run(data, new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0 });

        AssertSameAnswers(expected, run);
        Assert.Equal(51, run.Samples);
        Assert.Equal(3, run.Batches);
        Assert.True(expected.Histogram[0] is > 0 and < 51, $"thresholds should split the samples, got [{string.Join(", ", expected.Histogram)}]");
    }

    [Fact]
    public void Run_StateWithPreviousLogits_CompactsEveryPartOfTheState()
    {
        var model = new CarryModel();
        var data = Data(model, 2, 20, 5);
        var (policy, expected) = MidpointOracle(model, data);
        model.Calls.Clear();

        var run = new DynamicRunner(model, policy).Run(data, new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0 });

        AssertSameAnswers(expected, run);
        // Segment k ran on exactly the samples that had not exited before k.
        var perBatch = data.Select((_, b) => Enumerable.Range(0, 20).Select(i => run.ExitIndex[(b * 20) + i]).ToArray()).ToArray();
        var expectedCalls = new List<(int, int)>();
        foreach (var exits in perBatch)
        {
            for (int k = 0; k < 3 && exits.Any(e => e >= k); k++)
            {
                expectedCalls.Add((k, exits.Count(e => e >= k)));
            }
        }

        Assert.Equal(expectedCalls, model.Calls);
    }

    [Fact]
    public void Run_PatiencePolicy_SeesEachSampleHistoryAfterCompaction()
    {
        var model = new CarryModel(seed: 9);
        var data = Data(model, 2, 16, 8);
        var policy = PatiencePolicy.Classification(2);
        var expected = SimulatedRunner.Run(Simulated(model, data), policy);

        var run = new DynamicRunner(model, policy).Run(data, new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0 });

        Assert.Equal(expected.ExitIndex, run.ExitIndex);
        Assert.Equal(expected.Prediction, run.Prediction);
        Assert.Equal(0, run.Histogram[0]);
    }

    [Fact]
    public void Run_EveryoneExitsFirst_LaterSegmentsNeverRun()
    {
        var model = new CarryModel();
        var data = Data(model, 2, 8, 1);

        var run = new DynamicRunner(model, new AlwaysExit()).Run(data, new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0 });

        Assert.Equal([16, 0, 0], run.Histogram);
        Assert.Equal([(0, 8), (0, 8)], model.Calls);
        Assert.Equal(10, run.AverageMacs);
        Assert.Equal(4.0, run.MacSpeedup);
    }

    [Fact]
    public void Run_FakeClock_ReportsTimesPerBatchAndBothSpeedups()
    {
        var model = new CarryModel();
        var data = Data(model, 3, 6, 2);
        var clock = new FakeClock(TimeSpan.FromMilliseconds(2));

        var run = new DynamicRunner(model, new AlwaysExit()).Run(data, new DynamicRunOptions { Repeats = 3, WarmupRuns = 1, Clock = clock });

        // Each timed call reads the clock twice, so it lasts one step; per batch the median of 3 such calls.
        Assert.Equal(3 * 0.002, run.DynamicSeconds, 12);
        Assert.Equal(3 * 0.002, run.FullSeconds, 12);
        Assert.Equal(1.0, run.MeasuredSpeedup, 12);
        Assert.Equal(4.0, run.MacSpeedup);
        Assert.Equal(0.25, run.SpeedupEfficiency, 12);
        Assert.Equal(3 * 3 * 2 * 2, clock.Reads);
        Assert.Equal(Parallelism.Threads, run.Threads);
        Assert.Equal(6, run.BatchSize);
    }

    [Fact]
    public void Run_Pooled_SameAnswersAndSegmentsRunOnPooledBatches()
    {
        var model = new CarryModel();
        var data = Data(model, 5, 10, 21);
        var (policy, expected) = MidpointOracle(model, data);
        model.Calls.Clear();

        var run = new DynamicRunner(model, policy).Run(data,
            new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0, PoolAcrossBatches = true });

        AssertSameAnswers(expected, run);
        Assert.True(run.Pooled);
        Assert.Equal(5, run.Batches);
        Assert.Equal(Enumerable.Repeat((0, 10), 5), model.Calls.Where(c => c.Exit == 0));
        for (int k = 1; k < 3; k++)
        {
            // Every sample that went on past exit k − 1 ran segment k once, in batches of at least 10 but the last.
            var sizes = model.Calls.Where(c => c.Exit == k).Select(c => c.Batch).ToList();
            Assert.Equal(run.ExitIndex.Count(e => e >= k), sizes.Sum());
            Assert.All(sizes.SkipLast(1), b => Assert.True(b >= 10, $"segment {k} ran on a pooled batch of {b}"));
            Assert.True(sizes.Count < run.ExitIndex.Count(e => e >= k) / 2, $"segment {k}: {sizes.Count} calls, expected pooling");
        }
    }

    [Fact]
    public void Run_Pooled_PatiencePolicySeesEachSampleHistory()
    {
        var model = new CarryModel(seed: 9);
        var data = Data(model, 3, 16, 8);
        var policy = PatiencePolicy.Classification(2);
        var expected = SimulatedRunner.Run(Simulated(model, data), policy);

        var run = new DynamicRunner(model, policy).Run(data,
            new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0, PoolAcrossBatches = true });

        Assert.Equal(expected.ExitIndex, run.ExitIndex);
        Assert.Equal(expected.Prediction, run.Prediction);
    }

    [Fact]
    public void Run_Pooled_DynamicPerceiverStateConcatenates()
    {
        var model = ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { WidthMultiplier = 0.125 });
        var data = Data(model, 3, 6, 4);
        var (policy, expected) = MidpointOracle(model, data);

        var run = new DynamicRunner(model, policy).Run(data,
            new DynamicRunOptions { MeasureFullModel = false, WarmupRuns = 0, PoolAcrossBatches = true });

        AssertSameAnswers(expected, run);
        Assert.True(run.Histogram.Count(h => h > 0) >= 2, $"the thresholds should spread the exits: [{string.Join(", ", run.Histogram)}]");
    }

    [Fact]
    public void Run_Pooled_FakeClockTimesTheWholeInput()
    {
        var model = new CarryModel();
        var data = Data(model, 3, 6, 2);
        var clock = new FakeClock(TimeSpan.FromMilliseconds(2));

        var run = new DynamicRunner(model, new AlwaysExit()).Run(data,
            new DynamicRunOptions { Repeats = 3, WarmupRuns = 1, Clock = clock, PoolAcrossBatches = true });

        // One dynamic and one full timing per repeat over all three batches, each lasting one clock step.
        Assert.Equal(0.002, run.DynamicSeconds, 12);
        Assert.Equal(0.002, run.FullSeconds, 12);
        Assert.Equal(3 * 2 * 2, clock.Reads);
        Assert.Equal(18, run.Samples);
    }

    [Fact]
    public void Concat_StatesAtDifferentExits_Throws()
    {
        var model = new CarryModel();
        var x = Tensor.Randn(new Rng(1), [4, .. model.InputShape]);
        model.Eval();
        using var _ = Autograd.NoGrad();
        var a = model.Start(x);
        var b = model.Start(x);
        model.RunToExit(b, 0);
        var e = Assert.Throws<ArgumentException>(() => ExitState.Concat([a, b]));
        Assert.Contains("one exit", e.Message);
        Assert.Throws<ArgumentException>(() => ExitState.Concat([]));
        var c = ExitState.Concat([a, a.Keep([1, 3])]);
        Assert.Equal(6, c.BatchSize);
        Assert.Equal(0, c.ExitsDone);
    }

    [Fact]
    public void Run_UnlabelledBatch_AccuracyIsNaN()
    {
        var model = new CarryModel();
        var rng = new Rng(3);
        var run = new DynamicRunner(model, new AlwaysExit()).Run(
            [(Tensor.Randn(rng, [4, 1, 4, 4]), null)], new DynamicRunOptions { MeasureFullModel = false });

        Assert.True(double.IsNaN(run.Accuracy));
        Assert.Null(run.Labels);
        Assert.True(double.IsNaN(run.FullSeconds));
    }

    [Fact]
    public void Run_ThresholdsForAnotherExitCount_ThrowsNamingBoth()
    {
        var model = new CarryModel();
        var runner = new DynamicRunner(model, new MaxSoftmaxPolicy([0.5, double.NegativeInfinity]));

        var e = Assert.Throws<ArgumentException>(() => runner.RunBatch(Tensor.Zeros(2, 1, 4, 4)));

        Assert.Contains("2 thresholds for a model with 3 exits", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_LabelsThatDoNotMatchTheBatch_Throws()
    {
        var model = new CarryModel();
        var runner = new DynamicRunner(model, new AlwaysExit());

        Assert.Throws<ArgumentException>(() => runner.Run([(Tensor.Zeros(3, 1, 4, 4), new int[2])]));
        Assert.Throws<ArgumentException>(() => runner.Run([]));
    }
}
