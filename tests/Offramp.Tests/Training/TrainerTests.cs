using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Offramp.Engine;
using Offramp.Training;
using static Offramp.Tests.Training.TrainingTestUtil;

namespace Offramp.Tests.Training;

public class TrainerTests
{
    /// <summary>Wraps a source and puts a NaN into one batch.</summary>
    private sealed class PoisonedSource(IBatchSource inner, int epoch, int batch) : IBatchSource
    {
        public int Count => inner.Count;

        public int BatchesPerEpoch => inner.BatchesPerEpoch;

        public int NumClasses => inner.NumClasses;

        public int[] InputShape => inner.InputShape;

        public IEnumerable<TrainBatch> GetEpoch(int e, int startBatch = 0)
        {
            int b = startBatch;
            foreach (var x in inner.GetEpoch(e, startBatch))
            {
                if (e == epoch && b == batch)
                {
                    x.Images.SetFlat(5, double.NaN);
                }

                b++;
                yield return x;
            }
        }
    }

    private sealed class Recorder : ITrainingObserver
    {
        public List<StepReport> Steps { get; } = [];

        public List<string> Evaluations { get; } = [];

        public List<string> Checkpoints { get; } = [];

        public void OnStep(StepReport report) => Steps.Add(report);

        public void OnEvaluate(string split) => Evaluations.Add(split);

        public void OnCheckpoint(string directory) => Checkpoints.Add(directory);
    }

    private static Dictionary<string, string> Snapshot(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Run_SyntheticTask_LearnsAndLogsEveryExit()
    {
        using var dir = new TempDir();
        var c = Config(dir.Path, c => c with { Epochs = 4 });
        var rec = new Recorder();
        var t = new Trainer(new TinyMultiExit(seed: c.Seed), c, Train(c), HeldOut(), HeldOut(), rec);
        var before = Evaluator.Evaluate(t.Model, HeldOut());
        var log = t.Run();

        Assert.Equal(4, log.Count);
        Assert.Equal(20, rec.Steps.Count);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), rec.Steps.Select(s => s.GlobalStep));
        Assert.True(log[^1].TrainLoss < log[0].TrainLoss, $"loss {log[0].TrainLoss} → {log[^1].TrainLoss}");
        foreach (var exit in new[] { "exit1", "exit2" })
        {
            Assert.True(log[^1].Heldout!.ExitAcc[exit] > 0.8, $"{exit}: held-out accuracy {log[^1].Heldout!.ExitAcc[exit]}");
            Assert.True(log[^1].Heldout!.ExitLoss[exit] < before.ExitLoss[exit]);
            Assert.Equal(log[^1].Heldout!.ExitAcc[exit], log[^1].Test!.ExitAcc[exit]); // the same split twice
        }

        // log.jsonl: one line per epoch, with the documented fields.
        var lines = File.ReadAllLines(Path.Combine(t.RunDir, Trainer.LogFile));
        Assert.Equal(4, lines.Length);
        var last = JsonNode.Parse(lines[^1])!.AsObject();
        foreach (var key in new[] { "epoch", "global_step", "lr", "train_loss", "train_exit_loss", "train_exit_acc", "heldout", "test", "seconds", "images_per_sec" })
        {
            Assert.True(last.ContainsKey(key), $"log line lacks '{key}': {lines[^1]}");
        }

        Assert.Equal(4, last["epoch"]!.GetValue<int>());
        Assert.Equal(30, last["heldout"]!["samples"]!.GetValue<int>());

        // Cosine schedule with half an epoch of warm-up, per step: the rate rises, then falls to min_lr.
        Assert.True(rec.Steps[0].Lr < rec.Steps[2].Lr);
        Assert.Equal(c.Lr, rec.Steps.Max(s => s.Lr), 1e-12);
        Assert.True(rec.Steps[^1].Lr < 0.01 * c.Lr);

        // The run directory: effective config, final weights; the config reloads strictly.
        Assert.True(File.Exists(Path.Combine(t.RunDir, Trainer.FinalModelFile)));
        var saved = TrainConfigLoader.Load(Path.Combine(t.RunDir, Trainer.ConfigFile));
        Assert.Equal(TrainConfigLoader.ToJson(c), TrainConfigLoader.ToJson(saved));
    }

    [Fact]
    public void Run_WithEma_EvaluatesEmaWeightsAndKeepsTrainedOnes()
    {
        using var dir = new TempDir();
        var c = Config(dir.Path, c => c with { Epochs = 1, EmaDecay = 0.5 });
        var t = new Trainer(new TinyMultiExit(seed: c.Seed), c, Train(c), HeldOut());
        var entry = t.Run()[0];
        Assert.Equal("ema", entry.EvalWeights);

        var trained = Bits(t.Model);
        var onTrained = Evaluator.Evaluate(t.Model, HeldOut());
        t.Ema!.CopyTo(t.Model);
        var onEma = Evaluator.Evaluate(t.Model, HeldOut());
        Assert.Equal(onEma.ExitLoss["exit2"], entry.Heldout!.ExitLoss["exit2"]);
        Assert.NotEqual(onTrained.ExitLoss["exit2"], entry.Heldout.ExitLoss["exit2"]);
        Assert.True(File.Exists(Path.Combine(t.RunDir, Trainer.FinalEmaFile)));
        Assert.NotEmpty(trained);
    }

    [Fact]
    public void Run_NaNInBatch_StopsNamingStepAndExitAndKeepsLastCheckpoint()
    {
        using var dir = new TempDir();
        var c = Config(dir.Path);

        // Batch 2 of epoch 1 is global step 8 (5 batches per epoch); the last checkpoint before it is step 6.
        string? snapshotAt = null;
        Dictionary<string, string>? snapshot = null;
        var watcher = new CheckpointWatcher(d => { snapshotAt = d; snapshot = Snapshot(dir.Path); });
        var t2 = new Trainer(new TinyMultiExit(seed: c.Seed), c, new PoisonedSource(Train(c), 1, 2), HeldOut(), null, watcher);
        var e = Assert.Throws<TrainingDivergedException>(() => t2.Run());

        Assert.Equal(8, e.GlobalStep);
        Assert.Equal(1, e.Epoch);
        Assert.Equal(2, e.Batch);
        Assert.Equal("exit1", e.ExitName);
        Assert.True(double.IsNaN(e.Value));
        Assert.Contains("step 8", e.Message, StringComparison.Ordinal);
        Assert.Contains("'exit1'", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("step-000000006", snapshotAt, StringComparison.Ordinal);
        Assert.Equal(snapshotAt, e.LastCheckpoint);
        Assert.Equal(snapshot, Snapshot(dir.Path)); // nothing written after the last good checkpoint (log included)

        // The last good checkpoint resumes; the model holds no NaN.
        var r = new Trainer(new TinyMultiExit(seed: c.Seed), c, Train(c), HeldOut());
        r.Resume();
        Assert.Equal(6, r.GlobalStep);
        Assert.All(r.Model.Parameters(), p => Assert.DoesNotContain(p.ToArray(), float.IsNaN));
    }

    [Fact]
    public void Run_NaNOnlyInFinalExit_NamesThatExit()
    {
        using var dir = new TempDir();
        var c = Config(dir.Path);
        var model = new TinyMultiExit(seed: c.Seed);
        model.Head1.Bias!.SetFlat(0, double.PositiveInfinity);
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(model, c, Train(c)).Run());
        Assert.Equal("exit2", e.ExitName);
        Assert.Equal(1, e.GlobalStep);
    }

    [Fact]
    public void Run_AbsurdLearningRate_Diverges()
    {
        using var dir = new TempDir();
        var c = Config(dir.Path, c => c with { Lr = 1e30, WarmupEpochs = 0, Schedule = "constant", Momentum = 0 });
        var e = Assert.Throws<TrainingDivergedException>(() => NewTrainer(c).Run());
        Assert.True(e.GlobalStep is > 1 and <= 15, $"diverged at step {e.GlobalStep}");
        Assert.NotNull(e.LastCheckpoint);
        Assert.False(double.IsFinite(e.Value));
    }

    [Fact]
    public void Run_ThreadCount_DoesNotChangeWeights()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var one = NewTrainer(Config(a.Path, c => c with { Epochs = 1 }));
            one.Run();
            Parallelism.Threads = 2;
            var two = NewTrainer(Config(b.Path, c => c with { Epochs = 1 }));
            two.Run();
            AssertBitIdentical(Bits(one.Model), Bits(two.Model), "1 vs 2 threads");
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void Constructor_DataDoesNotFitModel_Throws()
    {
        using var dir = new TempDir();
        var c = Config(dir.Path);
        var wrong = new SyntheticBatchSource(20, 5, [1, 4, 4], 4, 1);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(new TinyMultiExit(), c, wrong));
        Assert.Contains("5 classes", e.Message, StringComparison.Ordinal);
        Assert.Throws<ConfigException>(() => new Trainer(new TinyMultiExit(), c with { Out = null }, Train(c)));
    }

    private sealed class CheckpointWatcher(Action<string> onCheckpoint) : ITrainingObserver
    {
        public void OnCheckpoint(string directory) => onCheckpoint(directory);
    }
}
