using System.Text.Json.Nodes;
using Offramp.Cli;
using Offramp.Tests.Training;
using Offramp.Training;

namespace Offramp.Tests.Cli;

[Collection("Console")]
public class TrainCommandTests : CliTestBase
{
    // A small synthetic run; `more` adds options or replaces the defaults (an option given twice is a usage error).
    private static string[] Tiny(string outDir, params string[] more)
    {
        var opts = new Dictionary<string, string>
        {
            ["--model"] = "tiny", ["--dataset"] = "synthetic", ["--train-limit"] = "192", ["--held-out"] = "64", ["--batch-size"] = "64",
            ["--epochs"] = "2", ["--lr"] = "0.05", ["--out"] = outDir, ["--threads"] = "1",
        };
        for (int i = 0; i < more.Length; i += 2)
        {
            opts[more[i]] = more[i + 1];
        }

        return ["train", .. opts.SelectMany(p => new[] { p.Key, p.Value })];
    }

    private static void AssertOk(Result r) => Assert.True(r.Code == ExitCodes.Ok, $"exit code {r.Code}: {r.Err}");

    [Theory]
    [InlineData("train", "--config", "--resume", "--batch-size", "--distill-alpha", "--threads")]
    [InlineData("eval", "--run", "--weights", "--ema", "--json", "--data-dir", "--threads")]
    [InlineData("models", "--model", "--input", "--width-multiplier", "--names-only", "--threads")]
    public void Help_EveryCommand_ListsItsOptions(string command, params string[] options)
    {
        var r = Run(command, "--help");
        Assert.Equal(ExitCodes.Ok, r.Code);
        Assert.Contains($"{command} [options]", r.Out, StringComparison.Ordinal);
        foreach (var o in options)
        {
            Assert.Contains(o, r.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Train_UnknownKeyInConfig_ExitsWith2NamingKeyAndFile()
    {
        using var dir = new TempDir();
        var cfg = dir.Combine("run.yaml");
        File.WriteAllText(cfg, "model: tiny\nlearning_rate: 0.1\n");
        var r = Run("train", "--config", cfg);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains("learning_rate", r.Err, StringComparison.Ordinal);
        Assert.Contains(cfg, r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists("runs/tiny-s0/checkpoints"));
    }

    [Fact]
    public void Train_WrongTypeOnCommandLineOrUnknownOption_ExitsWith2()
    {
        var bad = Run("train", "--model", "tiny", "--epochs", "many");
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.Contains("--epochs", bad.Err, StringComparison.Ordinal);
        var unknown = Run("train", "--model", "tiny", "--epochz", "3");
        Assert.Equal(ExitCodes.Usage, unknown.Code);
        Assert.Contains("--epochz", unknown.Err, StringComparison.Ordinal);
        var model = Run("train", "--model", "resnet999", "--dataset", "synthetic", "--out", Path.Combine(Path.GetTempPath(), "offramp-none"));
        Assert.Equal(ExitCodes.Usage, model.Code);
        Assert.Contains("resnet999", model.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_MissingDataSet_ExitsWith3WithInstallHint()
    {
        using var dir = new TempDir();
        var r = Run("train", "--model", "tiny", "--data", dir.Combine("nowhere"), "--out", dir.Combine("run"));
        Assert.Equal(ExitCodes.MissingData, r.Code);
        Assert.Contains("apt-get install dataset-fashion-mnist", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ThenEval_WritesRunAndReportsEveryExit()
    {
        using var dir = new TempDir();
        var run = dir.Combine("run");
        var r = Run(Tiny(run, "--ema-decay", "0.9", "--exit-weights", "final2"));
        Assert.True(r.Code == ExitCodes.Ok, r.Err);
        Assert.Contains("epoch 2/2", r.Out, StringComparison.Ordinal);
        Assert.Contains("img/s", r.Out, StringComparison.Ordinal);
        Assert.Contains("test acc%", r.Out, StringComparison.Ordinal);
        foreach (var f in new[] { Trainer.ConfigFile, Trainer.LogFile, Trainer.FinalModelFile, Trainer.FinalEmaFile })
        {
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        }

        var saved = TrainConfigLoader.Load(Path.Combine(run, Trainer.ConfigFile));
        Assert.Equal(ExitWeighting.FinalDouble, saved.ExitWeights);
        Assert.Equal(192, saved.TrainLimit);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, Trainer.LogFile)).Length);

        var json = dir.Combine("eval.json");
        var e = Run("eval", "--run", run, "--json", json);
        Assert.True(e.Code == ExitCodes.Ok, e.Err);
        Assert.Contains("exit1", e.Out, StringComparison.Ordinal);
        Assert.Contains("exit2", e.Out, StringComparison.Ordinal);
        var results = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal(64, results["heldout"]!["samples"]!.GetValue<int>());
        Assert.Equal(TrainingData.SyntheticTestCount, results["test"]!["samples"]!.GetValue<int>());

        // The EMA weights are what training evaluated: eval --ema reproduces the last log line's test accuracy.
        var last = JsonNode.Parse(File.ReadAllLines(Path.Combine(run, Trainer.LogFile))[^1])!;
        var emaJson = dir.Combine("ema.json");
        Assert.Equal(ExitCodes.Ok, Run("eval", "--run", run, "--ema", "--json", emaJson).Code);
        Assert.Equal(last["test"]!["exit_acc"]!["exit2"]!.GetValue<double>(),
            JsonNode.Parse(File.ReadAllText(emaJson))!["test"]!["exit_acc"]!["exit2"]!.GetValue<double>());

        // A second train into the same directory is refused.
        var again = Run(Tiny(run));
        Assert.Equal(ExitCodes.Usage, again.Code);
        Assert.Contains("--resume", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_Resume_ContinuesAndRefusesChangedOptions()
    {
        using var dir = new TempDir();
        var run = dir.Combine("run");
        AssertOk(Run(Tiny(run, "--epochs", "1")));

        var changed = Run("train", "--resume", run, "--lr", "0.5");
        Assert.Equal(ExitCodes.Usage, changed.Code);
        Assert.Contains("--lr", changed.Err, StringComparison.Ordinal);

        var resumed = Run("train", "--resume", run, "--threads", "2");
        Assert.True(resumed.Code == ExitCodes.Ok, resumed.Err);
        Assert.Contains("resumed from", resumed.Out, StringComparison.Ordinal);

        var noRun = Run("train", "--resume", dir.Combine("missing"));
        Assert.Equal(ExitCodes.Usage, noRun.Code);
    }

    [Fact]
    public void Train_CorruptCheckpoint_ExitsWith2NamingTheFile()
    {
        using var dir = new TempDir();
        var run = dir.Combine("run");
        AssertOk(Run(Tiny(run, "--epochs", "1")));
        var model = Path.Combine(Checkpoint.FindLatest(run)!, Checkpoint.ModelFile);
        File.WriteAllBytes(model, File.ReadAllBytes(model)[..100]);
        var r = Run("train", "--resume", run);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(model, r.Err, StringComparison.Ordinal);
        Assert.Contains("truncated", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_Diverging_ExitsWith1()
    {
        using var dir = new TempDir();
        var r = Run(Tiny(dir.Combine("run"), "--lr", "1e30", "--momentum", "0", "--schedule", "constant"));
        Assert.True(r.Code == ExitCodes.TrainingFailed, r.Err);
        Assert.Contains("diverged at step", r.Err, StringComparison.Ordinal);
    }
}
