using Offramp.Inference;

namespace Offramp.Tests.Inference;

public sealed class SimulatedRunnerTests
{
    private const double Atol = 1e-12;

    // 3 exits, 4 samples. (confidence, predicted class) per exit and sample; labels [0, 1, 1, 1]; costs [1, 3, 6].
    private static ExitLogits HandMade() => InferenceData.Crafted(
        [[0.9, 0.6, 0.7, 0.55], [0.8, 0.85, 0.6, 0.6], [0.9, 0.9, 0.95, 0.7]],
        [[0, 1, 0, 1], [0, 1, 1, 0], [0, 1, 1, 0]],
        [1, 3, 6],
        [0, 1, 1, 1]);

    /// <summary>A user policy that delegates to another: takes the runner's generic path.</summary>
    private sealed class Wrapped(IExitPolicy inner) : IExitPolicy
    {
        public string Name => "wrapped";

        public bool ShouldExit(SampleOutputs outputs) => inner.ShouldExit(outputs);
    }

    private sealed class AlwaysAtExit(int exit) : IExitPolicy
    {
        public string Name => "always";

        public bool ShouldExit(SampleOutputs outputs) => outputs.Exit == exit;
    }

    [Fact]
    public void Run_HandMadeThresholds_MatchesHandComputation()
    {
        // s0 exits at 0 (0.9 ≥ 0.8); s1 at 1 (0.85); s2, s3 at 2. Right: s0, s1, s2; s3 predicts 0, label 1.
        var run = SimulatedRunner.Run(HandMade(), new MaxSoftmaxPolicy([0.8, 0.8, double.NegativeInfinity]));

        Assert.Equal([0, 1, 2, 2], run.ExitIndex);
        Assert.Equal([0, 1, 1, 0], run.Prediction);
        Assert.Equal([1.0, 3.0, 6.0, 6.0], run.Cost);
        Assert.Equal([(double)0.9f, (double)0.85f, (double)0.95f, (double)0.7f], run.Confidence);
        Assert.Equal([true, true, true, false], run.Correct!);
        Assert.Equal([1, 1, 2], run.Histogram);
        Assert.Equal(0.75, run.Accuracy, Atol);
        Assert.Equal((0.25 * 1) + (0.25 * 3) + (0.5 * 6), run.AverageCost, Atol);
        Assert.Equal([1.0, 1.0, 0.5], run.ExitAccuracy);
    }

    [Fact]
    public void Run_UserPolicy_SameResultAsBuiltInFastPath()
    {
        var logits = HandMade();
        var policy = new MaxSoftmaxPolicy([0.8, 0.8, double.NegativeInfinity]);

        var fast = SimulatedRunner.Run(logits, policy);
        var generic = SimulatedRunner.Run(logits, new Wrapped(policy));

        Assert.Equal(fast.ExitIndex, generic.ExitIndex);
        Assert.Equal(fast.AverageCost, generic.AverageCost);
    }

    [Fact]
    public void Run_EntropyPolicy_SameResultAsBuiltInFastPath()
    {
        var logits = InferenceData.Random(new Engine.Rng(7), 4, 50, 5);
        var policy = new EntropyPolicy([1.0, 1.2, 0.9, double.PositiveInfinity]);

        Assert.Equal(SimulatedRunner.Run(logits, new Wrapped(policy)).ExitIndex, SimulatedRunner.Run(logits, policy).ExitIndex);
    }

    [Fact]
    public void Run_PolicyNeverExits_LastExitAnswers()
    {
        var run = SimulatedRunner.Run(HandMade(), new AlwaysAtExit(99));

        Assert.Equal([0, 0, 4], run.Histogram);
        Assert.Equal(6.0, run.AverageCost);
    }

    [Fact]
    public void Run_CustomPolicy_AnswersWhereItSays()
    {
        var run = SimulatedRunner.Run(HandMade(), new AlwaysAtExit(1));

        Assert.Equal([0, 4, 0], run.Histogram);
        Assert.Equal(3.0, run.AverageCost);
    }

    [Fact]
    public void Run_WrongThresholdCount_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => SimulatedRunner.Run(HandMade(), new MaxSoftmaxPolicy([0.5, 0.5])));

        Assert.Contains("2 thresholds for 3 exits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Unlabelled_AccuracyIsNaN()
    {
        var logits = InferenceData.Crafted([[0.9], [0.8]], [[0], [1]], [1, 2], labels: null);

        var run = SimulatedRunner.Run(logits, new MaxSoftmaxPolicy([0.5, double.NegativeInfinity]));

        Assert.True(double.IsNaN(run.Accuracy));
        Assert.Null(run.Correct);
    }

    [Fact]
    public void Anytime_HandMade_EachExitsAccuracyAndCost()
    {
        var points = SimulatedRunner.Anytime(HandMade());

        Assert.Equal([1.0, 3.0, 6.0], points.Select(p => p.Cost));
        Assert.Equal([0.75, 0.75, 0.75], points.Select(p => p.Accuracy));
        Assert.Equal(["exit1", "exit2", "exit3"], points.Select(p => p.Name));
    }

    [Fact]
    public void AccuracyAtCostFractions_ExitRuns_PicksLargestCostWithinEachFraction()
    {
        var logits = InferenceData.Crafted(
            [[0.9, 0.9], [0.9, 0.9], [0.9, 0.9]], [[0, 0], [0, 1], [1, 1]], [1, 3, 6], [1, 1]);
        var runs = Enumerable.Range(0, 3).Select(k => SimulatedRunner.RunAtExit(logits, k)).ToList();

        var table = SimulatedRunner.AccuracyAtCostFractions(runs, logits.FullCost, [0.1, 0.25, 0.5, 0.75, 1.0]);

        // 0.1·6 = 0.6 < C_1: nothing fits. 1.5 → exit 1 (0 right); 3 and 4.5 → exit 2 (1 of 2); 6 → exit 3 (2 of 2).
        Assert.True(double.IsNaN(table[0].Accuracy));
        Assert.Equal([0.0, 0.5, 0.5, 1.0], table.Skip(1).Select(t => t.Accuracy));
        Assert.Equal([1.0, 3.0, 3.0, 6.0], table.Skip(1).Select(t => t.Cost));
    }

    [Fact]
    public void UniformThresholdSweep_ThresholdOne_MostSamplesReachLastExit()
    {
        var logits = HandMade();

        var runs = SimulatedRunner.UniformThresholdSweep(logits, 11);

        Assert.Equal(11, runs.Count);
        Assert.Equal([4, 0, 0], runs[0].Histogram);
        Assert.Equal([0, 0, 4], runs[^1].Histogram);
    }
}
