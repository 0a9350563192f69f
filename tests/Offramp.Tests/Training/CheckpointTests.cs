using Offramp.Training;
using static Offramp.Tests.Training.TrainingTestUtil;

namespace Offramp.Tests.Training;

public class CheckpointTests
{
    // A run killed at step 4: its latest checkpoint is step 3.
    private static (TrainConfig Config, string Checkpoint) KilledRun(TempDir dir, Func<TrainConfig, TrainConfig>? edit = null)
    {
        var c = Config(dir.Path, edit);
        Assert.Throws<KilledException>(() => NewTrainer(c, new KillAt(step: 4)).Run());
        var latest = Checkpoint.FindLatest(dir.Path)!;
        Assert.EndsWith("step-000000003", latest, StringComparison.Ordinal);
        return (c, latest);
    }

    private static CheckpointException ResumeFails(TrainConfig c, out Trainer fresh)
    {
        var t = NewTrainer(c);
        fresh = t;
        return Assert.Throws<CheckpointException>(() => t.Resume());
    }

    private static void AssertUnchanged(Trainer t)
    {
        // A failed load changes nothing: the model equals a freshly built one, and the position is still 0.
        AssertBitIdentical(Bits(new TinyMultiExit(seed: t.Config.Seed)), Bits(t.Model), "model after a rejected checkpoint");
        Assert.Equal(0, t.GlobalStep);
        Assert.Empty(t.Optimizer.StateDict().Keys);
    }

    [Fact]
    public void Save_LeavesOnlyCompleteCheckpointsAndAPointer()
    {
        using var dir = new TempDir();
        var (_, latest) = KilledRun(dir);
        var root = dir.Combine(Checkpoint.FolderName);
        Assert.Equal([Path.GetFileName(latest)], Directory.GetDirectories(root).Select(Path.GetFileName));
        Assert.Equal([Checkpoint.LatestPointer], Directory.GetFiles(root).Select(Path.GetFileName));
        var loaded = Checkpoint.Load(latest);
        Assert.Equal(3, loaded.State.GlobalStep);
        Assert.Equal(1.0, loaded.Model["bn0.num_batches_tracked"].Item() / 3); // an int64 buffer, saved as I64
        Assert.Contains("drop1", loaded.State.Rng.Keys);
    }

    [Theory]
    [InlineData(Checkpoint.ModelFile)]
    [InlineData(Checkpoint.OptimizerFile)]
    public void Resume_TruncatedFile_RejectedWithNameAndReason(string file)
    {
        using var dir = new TempDir();
        var (c, latest) = KilledRun(dir);
        var path = Path.Combine(latest, file);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = ResumeFails(c, out var t);
        Assert.Equal(path, e.Path);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        AssertUnchanged(t);
    }

    [Fact]
    public void Resume_FlippedByte_RejectedAsCorrupt()
    {
        using var dir = new TempDir();
        var (c, latest) = KilledRun(dir);
        var path = Path.Combine(latest, Checkpoint.ModelFile);
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var e = ResumeFails(c, out var t);
        Assert.Equal(path, e.Path);
        Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
        AssertUnchanged(t);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"format\": \"offramp-checkpoint/1\", \"epoch\": 0")]
    [InlineData("{\"format\": \"offramp-checkpoint/1\"}")]
    [InlineData("not json")]
    public void Resume_BadStateJson_Rejected(string text)
    {
        using var dir = new TempDir();
        var (c, latest) = KilledRun(dir);
        var path = Path.Combine(latest, Checkpoint.StateFile);
        File.WriteAllText(path, text);
        var e = ResumeFails(c, out var t);
        Assert.Equal(path, e.Path);
        AssertUnchanged(t);
    }

    [Fact]
    public void Resume_MissingFileOrDanglingPointer_Rejected()
    {
        using var dir = new TempDir();
        var (c, latest) = KilledRun(dir);
        File.Delete(Path.Combine(latest, Checkpoint.OptimizerFile));
        Assert.Contains("missing", ResumeFails(c, out _).Message, StringComparison.Ordinal);
        Directory.Delete(latest, recursive: true);
        var e = ResumeFails(c, out var t);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        AssertUnchanged(t);
    }

    [Fact]
    public void Resume_ConfigChanged_RejectedNamingTheKey()
    {
        using var dir = new TempDir();
        var (c, _) = KilledRun(dir);
        var e = ResumeFails(c with { Lr = 0.5 }, out var t);
        Assert.Contains("lr = 0.05", e.Message, StringComparison.Ordinal);
        AssertUnchanged(t);
    }

    [Fact]
    public void Resume_OtherModel_RejectedNamingKeysAndOptimizerUntouched()
    {
        using var dir = new TempDir();
        var (c, latest) = KilledRun(dir);
        var t = new Trainer(new TinyMultiExit(seed: c.Seed, hidden: 10), c, Train(c));
        var e = Assert.Throws<CheckpointException>(() => t.Resume());
        Assert.Equal(Path.Combine(latest, Checkpoint.ModelFile), e.Path);
        Assert.Contains("fc0.weight", e.Message, StringComparison.Ordinal);
        Assert.Empty(t.Optimizer.StateDict().Keys);
    }

    [Fact]
    public void Resume_NoCheckpoint_Rejected()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CheckpointException>(() => NewTrainer(Config(dir.Path)).Resume());
        Assert.Contains("no checkpoint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_LeftoverPartialCheckpoint_IgnoredAndCleanedUp()
    {
        using var dir = new TempDir();
        var (c, latest) = KilledRun(dir);

        // A kill in the middle of writing step 6: a temporary folder with a half-written model file.
        var partial = dir.Combine(Checkpoint.FolderName, ".tmp-step-000000006-dead");
        Directory.CreateDirectory(partial);
        File.WriteAllBytes(Path.Combine(partial, Checkpoint.ModelFile), [1, 2, 3]);
        var t = NewTrainer(c);
        Assert.Equal(latest, t.Resume());
        t.Run();
        Assert.False(Directory.Exists(partial));
        Assert.Single(Directory.GetDirectories(dir.Combine(Checkpoint.FolderName)));
    }
}
