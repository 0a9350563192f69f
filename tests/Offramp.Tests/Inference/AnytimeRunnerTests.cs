using Offramp.Engine;
using Offramp.Inference;

namespace Offramp.Tests.Inference;

/// <summary>Anytime prediction under a deadline, decided by a fake clock that advances one step per reading (the
/// runner reads it at the start and after each exit, so exit k finishes at (k + 1) steps).</summary>
public sealed class AnytimeRunnerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(1);

    private static (CarryModel Model, Tensor X, int[] ArgMax) Setup()
    {
        var model = new CarryModel();
        model.Eval();
        var x = Tensor.Randn(new Rng(4), [1, 1, 4, 4]);
        using var _ = Autograd.NoGrad();
        var all = model.ForwardAll(x);
        return (model, x, [.. Enumerable.Range(0, 3).Select(e => ExitConfidence.ArgMax(all[e].Span))]);
    }

    [Theory]
    [InlineData(0.5, 0, false, 1)]
    [InlineData(1.0, 0, true, 2)]
    [InlineData(2.5, 1, true, 3)]
    [InlineData(3.0, 2, true, 3)]
    [InlineData(50.0, 2, true, 3)]
    public void Predict_Deadline_LatestExitFinishedInTimeAnswers(double deadlineSteps, int exit, bool met, int exitsRun)
    {
        var (model, x, argmax) = Setup();
        var runner = new AnytimeRunner(model, Step * deadlineSteps, new FakeClock(Step));

        var a = runner.Predict(x);

        Assert.Equal(exit, a.Exit);
        Assert.Equal(met, a.DeadlineMet);
        Assert.Equal(exitsRun, a.ExitsRun);
        Assert.Equal(argmax[exit], a.Prediction);
        Assert.Equal(model.Exits[exitsRun - 1].Macs, a.MacsSpent);
        Assert.Equal(Step * (exit + 1), a.Elapsed);
    }

    [Fact]
    public void Predict_PolicyAcceptsFirstExit_StopsThereWithinTheDeadline()
    {
        var (model, x, _) = Setup();
        var a = new AnytimeRunner(model, Step * 100, new FakeClock(Step), new AlwaysExit()).Predict(x);

        Assert.Equal(0, a.Exit);
        Assert.Equal(1, a.ExitsRun);
        Assert.True(a.DeadlineMet);
    }

    [Fact]
    public void Run_Batches_ReportsDeadlineMetRateAndHistogram()
    {
        var model = new CarryModel();
        var rng = new Rng(6);
        var x = Tensor.Randn(rng, [5, 1, 4, 4]);
        var runner = new AnytimeRunner(model, Step * 2.5, new FakeClock(Step));

        var run = runner.Run([(x, [0, 1, 2, 3, 0])]);

        Assert.Equal(5, run.Answers.Count);
        Assert.Equal(1.0, run.DeadlineMetRate);
        Assert.Equal([0, 5, 0], run.Histogram);
        Assert.Equal(40.0, run.AverageMacsSpent);
        Assert.Equal([(0, 1), (1, 1), (2, 1)], model.Calls.Take(3));

        var missed = new AnytimeRunner(model, Step * 0.5, new FakeClock(Step)).Run([(x, null)]);
        Assert.Equal(0.0, missed.DeadlineMetRate);
        Assert.Equal([5, 0, 0], missed.Histogram);
        Assert.True(double.IsNaN(missed.Accuracy));
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        var model = new CarryModel();
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnytimeRunner(model, TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new AnytimeRunner(model, Step, policy: new MaxSoftmaxPolicy([0.5, 0.1])));
        Assert.Throws<ArgumentException>(() => new AnytimeRunner(model, Step).Predict(Tensor.Zeros(2, 1, 4, 4)));
    }
}
