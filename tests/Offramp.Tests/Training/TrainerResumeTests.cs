using System.Text.Json.Nodes;
using Offramp.Training;
using static Offramp.Tests.Training.TrainingTestUtil;

namespace Offramp.Tests.Training;

/// <summary>Issue 4: a run resumed after a kill at any point ends in bit-identical weights.</summary>
public class TrainerResumeTests
{
    private static (Dictionary<string, uint[]> Model, Dictionary<string, uint[]>? Ema, string Log) Uninterrupted(TrainConfig c)
    {
        var t = NewTrainer(c);
        t.Run();
        return (Bits(t.Model), t.Ema is null ? null : EmaBits(t), File.ReadAllText(Path.Combine(t.RunDir, Trainer.LogFile)));
    }

    private static Dictionary<string, uint[]> EmaBits(Trainer t) => t.Ema!.StateDict().Entries.ToDictionary(
        e => e.Key, e => e.Tensor.ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray());

    private static Trainer KillThenResume(TrainConfig c, KillAt kill)
    {
        Assert.Throws<KilledException>(() => NewTrainer(c, kill).Run());

        // Everything of the killed process is dropped; a new process builds a fresh model and resumes.
        var resumed = NewTrainer(c);
        resumed.Resume();
        resumed.Run();
        return resumed;
    }

    // 5 batches per epoch, checkpoints every 3 steps and every epoch, 3 epochs = 15 steps.
    [Theory]
    [InlineData(1)] // before the first periodic checkpoint: resumes from the step-0 checkpoint
    [InlineData(4)] // mid-epoch, one step after a periodic checkpoint
    [InlineData(5)] // the last step of epoch 1, before its evaluation and checkpoint
    [InlineData(7)] // mid-epoch 2, after the epoch-1 checkpoint
    [InlineData(12)] // a step-checkpoint step, killed before that checkpoint was written
    [InlineData(15)] // the very last step
    public void Resume_AfterKillAtStep_GivesBitIdenticalWeights(long killStep)
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var expected = Uninterrupted(Config(a.Path));
        var resumed = KillThenResume(Config(b.Path), new KillAt(step: killStep));
        AssertBitIdentical(expected.Model, Bits(resumed.Model), $"kill at step {killStep}");
        Assert.Equal(15, resumed.GlobalStep);
    }

    [Fact]
    public void Resume_KilledDuringEvaluation_GivesBitIdenticalWeightsAndLog()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var expected = Uninterrupted(Config(a.Path));
        var resumed = KillThenResume(Config(b.Path), new KillAt(evaluateInEpoch: 1));
        AssertBitIdentical(expected.Model, Bits(resumed.Model), "kill during evaluation of epoch 2");
        Assert.Equal(Strip(expected.Log), Strip(File.ReadAllText(Path.Combine(resumed.RunDir, Trainer.LogFile))));
    }

    [Theory]
    [InlineData("adamw", 0.99, 8)]
    [InlineData("sgd", 0.9, 11)]
    public void Resume_WithEmaClippingAndDistillation_GivesBitIdenticalWeightsAndEma(string optimizer, double ema, long killStep)
    {
        TrainConfig Edit(TrainConfig c) => c with
        {
            Optimizer = optimizer, Lr = optimizer == "adamw" ? 0.01 : 0.05, EmaDecay = ema, GradClip = 0.5, Nesterov = optimizer == "sgd",
            DistillAlpha = 0.5, DistillTemperature = 2, LabelSmoothing = 0.1, ExitWeights = ExitWeighting.Increasing,
        };
        using var a = new TempDir();
        using var b = new TempDir();
        var expected = Uninterrupted(Config(a.Path, Edit));
        var resumed = KillThenResume(Config(b.Path, Edit), new KillAt(step: killStep));
        AssertBitIdentical(expected.Model, Bits(resumed.Model), "model");
        AssertBitIdentical(expected.Ema!, EmaBits(resumed), "EMA");
        Assert.Equal(Strip(expected.Log), Strip(File.ReadAllText(Path.Combine(resumed.RunDir, Trainer.LogFile))));
    }

    [Fact]
    public void Resume_TwiceInARow_StillBitIdentical()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var expected = Uninterrupted(Config(a.Path));
        var c = Config(b.Path);
        Assert.Throws<KilledException>(() => NewTrainer(c, new KillAt(step: 2)).Run());
        var second = NewTrainer(c, new KillAt(step: 9));
        second.Resume();
        Assert.Throws<KilledException>(() => second.Run());
        var third = NewTrainer(c);
        third.Resume();
        third.Run();
        AssertBitIdentical(expected.Model, Bits(third.Model), "two kills");
    }

    [Fact]
    public void Resume_DifferentThreadCount_Allowed()
    {
        using var a = new TempDir();
        var c = Config(a.Path);
        Assert.Throws<KilledException>(() => NewTrainer(c, new KillAt(step: 4)).Run());
        var t = NewTrainer(c with { Threads = 1 });
        t.Resume();
        Assert.Equal(3, t.GlobalStep);
    }

    [Fact]
    public void Resume_AfterFinish_DoesNothingMore()
    {
        using var a = new TempDir();
        var c = Config(a.Path);
        var first = NewTrainer(c);
        first.Run();
        var again = NewTrainer(c);
        again.Resume();
        Assert.Empty(again.Run());
        AssertBitIdentical(Bits(first.Model), Bits(again.Model), "finished run");
    }

    [Fact]
    public void Run_FreshTrainerOnExistingRun_Refuses()
    {
        using var a = new TempDir();
        var c = Config(a.Path);
        Assert.Throws<KilledException>(() => NewTrainer(c, new KillAt(step: 2)).Run());
        var e = Assert.Throws<InvalidOperationException>(() => NewTrainer(c).Run());
        Assert.Contains("resume", e.Message, StringComparison.Ordinal);
    }

    // The log without the fields that measure time.
    private static string Strip(string jsonl) => string.Join("\n", jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
    {
        var o = JsonNode.Parse(line)!.AsObject();
        o.Remove("seconds");
        o.Remove("images_per_sec");
        return o.ToJsonString();
    }));
}
