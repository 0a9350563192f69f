using Offramp.Data;
using Offramp.Training;
using Xunit.Abstractions;
using static Offramp.Tests.Training.TrainingTestUtil;

namespace Offramp.Tests.Training;

/// <summary>The trainer on the real data path: Fashion-MNIST, stratified held-out split, the prefetching DataLoader.
/// Runs where the data set is installed (Debian's dataset-fashion-mnist); elsewhere there is nothing to check.</summary>
[Trait("Category", "Slow")]
public class FashionMnistTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_OneEpochOnFashionMnist_LearnsAndResumesExactly()
    {
        if (!FashionMnist.IsAvailable())
        {
            output.WriteLine($"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory}; skipped");
            return;
        }

        using var a = new TempDir();
        using var b = new TempDir();
        TrainConfig Cfg(string dir) => Config(dir, c => c with
        {
            Dataset = "fashion-mnist", TrainLimit = 6000, HeldOut = 1000, BatchSize = 100, EvalBatchSize = 500, Epochs = 1,
            Lr = 0.1, WarmupEpochs = 0, RandomErasing = 0.25, CheckpointEverySteps = 25,
        });
        TinyMultiExit Model(TrainConfig c) => new(c.Seed, 10, hidden: 64, dropout: 0.1, inputShape: [1, 28, 28]);

        var ca = Cfg(a.Path);
        var data = TrainingData.Create(ca);
        Assert.Equal(60, data.Train.BatchesPerEpoch);
        Assert.Equal(1000, data.HeldOut!.Count);
        var full = new Trainer(Model(ca), ca, data.Train, data.HeldOut, null);
        var entry = full.Run()[0];
        output.WriteLine($"held-out accuracy {string.Join(", ", entry.Heldout!.ExitAcc)}; {entry.ImagesPerSec:F0} images/s");
        Assert.True(entry.Heldout.ExitAcc["exit2"] > 0.7, $"held-out accuracy of the final exit {entry.Heldout.ExitAcc["exit2"]}");

        // Killed at step 37 (checkpoint at 25), resumed mid-epoch through the DataLoader adapter's skip.
        var cb = Cfg(b.Path);
        var db = TrainingData.Create(cb);
        Assert.Throws<KilledException>(() => new Trainer(Model(cb), cb, db.Train, db.HeldOut, null, new KillAt(step: 37)).Run());
        var resumed = new Trainer(Model(cb), cb, TrainingData.Create(cb).Train, db.HeldOut, null);
        resumed.Resume();
        Assert.Equal(25, resumed.GlobalStep);
        resumed.Run();
        AssertBitIdentical(Bits(full.Model), Bits(resumed.Model), "Fashion-MNIST kill at step 37");
    }
}
