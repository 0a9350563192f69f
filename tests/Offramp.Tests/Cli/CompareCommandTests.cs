using System.Text.Json.Nodes;
using Offramp.Cli;
using Offramp.Tests.Data;

namespace Offramp.Tests.Cli;

/// <summary><c>offramp compare</c> on two tiny synthetic runs (exit costs 100 and 200 MACs), and its bad inputs.</summary>
[Collection("Console")]
public class CompareCommandTests : CliTestBase
{
    private static string TrainTiny(TempDir dir, string name, int epochs)
    {
        var run = Path.Combine(dir.Path, name);
        var r = Run("train", "--model", "tiny", "--dataset", "synthetic", "--train-limit", "192", "--held-out", "128",
            "--batch-size", "64", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--lr", "0.05", "--out", run, "--threads", "1");
        Assert.True(r.Code == ExitCodes.Ok, r.Err);
        return run;
    }

    [Fact]
    public void Help_Compare_ListsItsOptions()
    {
        var r = Run("compare", "--help");

        Assert.Equal(ExitCodes.Ok, r.Code);
        foreach (var o in new[] { "RUN", "--out", "--label", "--family", "--data-dir" })
        {
            Assert.Contains(o, r.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Compare_TwoRuns_WritesHtmlJsonCsvWithLabelsAndPairLine()
    {
        using var dir = new TempDir();
        var a = TrainTiny(dir, "a", 1);
        var b = TrainTiny(dir, "b", 2);
        var outDir = Path.Combine(dir.Path, "cmp");

        var r = Run("compare", a, b, "--label", "one epoch", "--label", "two epochs", "--out", outDir);

        Assert.True(r.Code == ExitCodes.Ok, $"exit code {r.Code}: {r.Err}");
        Assert.Contains("one epoch vs two epochs: over the low-budget half", r.Out, StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(outDir, "compare.html"));
        Assert.Contains("one epoch (tiny) budgeted", html, StringComparison.Ordinal);
        Assert.Contains("two epochs (tiny) exits", html, StringComparison.Ordinal);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json")))!;
        Assert.Equal([1, 2], json["runs"]!.AsArray().Select(x => (int)x!["epochs"]!));
        Assert.Equal(200.0, (double)json["max_full_macs"]!);
        // 25 % of 200 MACs (50) is below the first exit (100): no accuracy there for either run.
        Assert.All(json["runs"]!.AsArray(), x => Assert.Null(x!["accuracy_within_budgets"]![0]));
        Assert.NotNull(json["pairs"]![0]!["fraction_a_higher"]);
        var csv = File.ReadAllLines(Path.Combine(outDir, "compare.csv"));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("one epoch,tiny,200,", csv[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_BadRuns_ExitWith2AndSayWhy()
    {
        using var dir = new TempDir();
        var a = TrainTiny(dir, "a", 1);
        var outDir = Path.Combine(dir.Path, "cmp");

        var one = Run("compare", a, "--out", outDir);
        var missing = Run("compare", a, Path.Combine(dir.Path, "nope"), "--out", outDir);
        var notRun = Run("compare", a, dir.Path, "--out", outDir);
        var labels = Run("compare", a, a, "--label", "x", "--out", outDir);
        var same = Run("compare", a, a, "--out", outDir);

        Assert.Equal(ExitCodes.Usage, one.Code);
        Assert.Contains("at least 2 runs, got 1", one.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, missing.Code);
        Assert.Contains("nope is not a run directory", missing.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, notRun.Code);
        Assert.Contains("is not a run directory", notRun.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, labels.Code);
        Assert.Contains("--label given 1 times for 2 runs", labels.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, same.Code);
        Assert.Contains("two runs are labelled 'a'", same.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
