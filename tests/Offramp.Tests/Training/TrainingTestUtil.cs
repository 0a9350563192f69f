using Offramp.Engine;
using Offramp.Training;

namespace Offramp.Tests.Training;

/// <summary>A temporary directory deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "offramp-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The "kill": an observer that throws at a chosen point, so nothing after it runs.</summary>
internal sealed class KillAt(long step = -1, int evaluateInEpoch = -1) : ITrainingObserver
{
    private int _epoch;

    public List<string> Checkpoints { get; } = [];

    public void OnEpochStart(int epoch, int epochs, int startBatch, int batchesPerEpoch) => _epoch = epoch;

    public void OnStep(StepReport report)
    {
        if (report.GlobalStep == step)
        {
            throw new KilledException();
        }
    }

    public void OnEvaluate(string split)
    {
        if (_epoch == evaluateInEpoch)
        {
            throw new KilledException();
        }
    }

    public void OnCheckpoint(string directory) => Checkpoints.Add(directory);
}

internal sealed class KilledException : Exception
{
}

internal static class TrainingTestUtil
{
    public static TrainConfig Config(string outDir, Func<TrainConfig, TrainConfig>? edit = null)
    {
        var c = new TrainConfig
        {
            Model = "tiny",
            Dataset = "synthetic",
            Epochs = 3,
            BatchSize = 16,
            Lr = 0.05,
            WeightDecay = 1e-3,
            WarmupEpochs = 0.5,
            Seed = 7,
            Out = outDir,
            CheckpointEverySteps = 3,
        };
        return edit is null ? c : edit(c);
    }

    // 72 samples in batches of 16: 5 batches per epoch, the last one of 8 (a partial batch is part of the contract).
    public static SyntheticBatchSource Train(TrainConfig c) => new(72, 3, [1, 4, 4], c.BatchSize, c.Seed, shuffle: true, noise: 0.8);

    public static SyntheticBatchSource HeldOut() => new(30, 3, [1, 4, 4], 32, 7, shuffle: false, noise: 0.8, offset: 10_000);

    public static Trainer NewTrainer(TrainConfig c, ITrainingObserver? observer = null) =>
        new(new TinyMultiExit(seed: c.Seed), c, Train(c), HeldOut(), null, observer);

    /// <summary>Every state tensor of the model as raw bits, by key.</summary>
    public static Dictionary<string, uint[]> Bits(Engine.Nn.Module m) => m.StateDict().Entries.ToDictionary(
        e => e.Key, e => e.Tensor.ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray());

    public static void AssertBitIdentical(Dictionary<string, uint[]> expected, Dictionary<string, uint[]> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, bits) in expected)
        {
            var other = actual[key];
            int first = Enumerable.Range(0, bits.Length).FirstOrDefault(i => bits[i] != other[i], -1);
            Assert.True(first < 0, $"{what}: {key}[{first}] differs: {(first < 0 ? 0 : BitConverter.UInt32BitsToSingle(bits[first]))} vs " +
                $"{(first < 0 ? 0 : BitConverter.UInt32BitsToSingle(other[first]))}");
        }
    }

    public static Tensor Logits(ulong seed, int n, int k) => Tensor.Randn(new Rng(seed), [n, k]).WithGrad();
}
