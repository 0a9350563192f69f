using System.Text.Json.Nodes;
using Offramp.Cli;
using Offramp.Imaging;
using Offramp.Inference;
using Offramp.Tests.Data;
using Offramp.Tests.Imaging;

namespace Offramp.Tests.Cli;

/// <summary><c>offramp calibrate</c>, <c>predict</c> and <c>report</c> on a tiny synthetic run (exit costs 100 and 200
/// MACs), including the bad inputs of issue 5.</summary>
[Collection("Console")]
public class InferenceCommandTests : CliTestBase
{
    private static string TrainTiny(TempDir dir)
    {
        var run = Path.Combine(dir.Path, "run");
        var r = Run("train", "--model", "tiny", "--dataset", "synthetic", "--train-limit", "192", "--held-out", "128",
            "--batch-size", "64", "--epochs", "2", "--lr", "0.05", "--out", run, "--threads", "1");
        Assert.True(r.Code == ExitCodes.Ok, r.Err);
        return run;
    }

    private static void AssertOk(Result r) => Assert.True(r.Code == ExitCodes.Ok, $"exit code {r.Code}: {r.Err}");

    [Theory]
    [InlineData("calibrate", "--run", "--budget", "--sweep", "--family", "--measure", "--out")]
    [InlineData("predict", "--run", "--thresholds", "--budget", "--deadline-ms", "--batch-size", "INPUT")]
    [InlineData("report", "RUN", "--budget", "--speed-samples", "--repeats", "--deadline-ms")]
    public void Help_InferenceCommands_ListTheirOptions(string command, params string[] options)
    {
        var r = Run(command, "--help");
        Assert.Equal(ExitCodes.Ok, r.Code);
        foreach (var o in options)
        {
            Assert.Contains(o, r.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Calibrate_Budget_ThresholdsCostAtMostBudgetOnCalibrationSetTestCostBeside()
    {
        using var dir = new TempDir();
        var run = TrainTiny(dir);

        var r = Run("calibrate", "--run", run, "--budget", "75%", "--sweep");

        AssertOk(r);
        var file = ThresholdsFile.Load(Path.Combine(run, "thresholds.json"));
        Assert.Equal(150, file.BudgetMacs);
        Assert.True(file.Calibration!.Cost <= 150, $"calibration cost {file.Calibration.Cost}");
        Assert.Equal(128, file.Calibration.Samples);
        Assert.Contains("calibration set (held-out, 128)", r.Out, StringComparison.Ordinal);
        Assert.Contains("test set (512)", r.Out, StringComparison.Ordinal);
        Assert.Equal(ExitDistribution.MsdNetPValues.Count + 1, File.ReadAllLines(Path.Combine(run, "curve.csv")).Length);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(run, "curve.json")))!["anytime"]);
    }

    [Fact]
    public void Calibrate_BadBudgets_ExitWith2AndSayWhy()
    {
        using var dir = new TempDir();
        var run = TrainTiny(dir);

        var low = Run("calibrate", "--run", run, "--budget", "0.4");
        var plain = Run("calibrate", "--run", run, "--budget", "150");
        var none = Run("calibrate", "--run", run);

        Assert.Equal(ExitCodes.Usage, low.Code);
        Assert.Contains("below the cost of the first exit", low.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, plain.Code);
        Assert.Contains("with a unit", plain.Err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, none.Code);
        Assert.False(File.Exists(Path.Combine(run, "thresholds.json")));
    }

    [Fact]
    public void Predict_PngKindsAndIdx_OneJsonLinePerImageWithExitAndMacs()
    {
        using var dir = new TempDir();
        var run = TrainTiny(dir);
        var grey = dir.Write("grey.png", PngEncoder.Encode(Image(28, 28, 1)));
        var rgb = dir.Write("rgb.png", PngEncoder.Encode(Image(40, 30, 3)));
        var rgba = dir.Write("rgba.png", PngEncoder.Encode(Image(28, 28, 4)));
        var idx = dir.Write("images.idx", IdxBytes.UByteOfShape(5, 28, 28));

        var r = Run("predict", "--run", run, "--budget", "0.75", grey, rgb, rgba, idx);

        AssertOk(r);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(8, lines.Length);
        Assert.Equal(["grey.png", "rgb.png", "rgba.png"], lines.Take(3).Select(l => Path.GetFileName((string)l["input"]!)));
        Assert.Equal([0, 1, 2, 3, 4], lines.Skip(3).Select(l => (int)l["index"]!));
        foreach (var l in lines)
        {
            int exit = (int)l["exit"]!;
            Assert.Equal(exit == 0 ? 100 : 200, (long)l["macs"]!);
            Assert.InRange((int)l["label"]!, 0, 9);
            Assert.InRange((double)l["confidence"]!, 0.1, 1.0);
        }

        var anytime = Run("predict", "--run", run, "--deadline-ms", "60000", grey);
        AssertOk(anytime);
        var a = JsonNode.Parse(anytime.Out.Trim())!;
        Assert.True((bool)a["deadline_met"]!);
        Assert.Equal(1, (int)a["exit"]!);
    }

    [Fact]
    public void Predict_BadInputs_ClearErrorsNotCrashes()
    {
        using var dir = new TempDir();
        var run = TrainTiny(dir);
        var png = PngEncoder.Encode(Image(28, 28, 1));
        var truncated = dir.Write("truncated.png", png[..(png.Length / 2)]);
        var huge = dir.Write("huge.png", new PngBuilder().Ihdr(100_000, 100_000, 8, PngColorType.Grey).Iend().ToArray());
        var gif = dir.Write("image.gif", "GIF89a\0\0\0\0"u8.ToArray());
        Assert.Equal(ExitCodes.Ok, Run("calibrate", "--run", run, "--budget", "0.9", "--out", Path.Combine(dir.Path, "ok.json")).Code);
        var other = Path.Combine(dir.Path, "other.json");
        var t = ThresholdsFile.Load(Path.Combine(dir.Path, "ok.json"));
        new ThresholdsFile(new ModelIdentity("resnet20", t.Model.ExitNames, t.Model.ExitCosts), t.Policy).Save(other);

        var cases = new (string[] Args, string Expect)[]
        {
            (["--thresholds", Path.Combine(dir.Path, "ok.json"), truncated], "truncated"),
            (["--thresholds", Path.Combine(dir.Path, "ok.json"), huge], "limit"),
            (["--thresholds", Path.Combine(dir.Path, "ok.json"), gif], "not a PNG or IDX file"),
            (["--thresholds", other, dir.Write("g.png", png)], "resnet20"),
            ([dir.Write("g2.png", png)], "no thresholds"),
            (["--budget", "10%", dir.Write("g3.png", png)], "below the cost of the first exit"),
            (["--deadline-ms", "-1", dir.Write("g4.png", png)], "--deadline-ms"),
        };
        foreach (var (args, expect) in cases)
        {
            var r = Run(["predict", "--run", run, .. args]);
            Assert.True(r.Code == ExitCodes.Usage, $"{string.Join(' ', args)}: exit code {r.Code}, {r.Err}");
            Assert.Contains(expect, r.Err, StringComparison.Ordinal);
            Assert.StartsWith("offramp: error:", r.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Report_Run_WritesHtmlJsonAndCsvIntoTheRun()
    {
        using var dir = new TempDir();
        var run = TrainTiny(dir);

        var r = Run("report", run, "--speed-samples", "64", "--repeats", "1");

        AssertOk(r);
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("Training loss", html, StringComparison.Ordinal);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "report.json")))!;
        Assert.Equal("tiny", (string)json["model"]!);
        Assert.Equal(2, json["training"]!.AsArray().Count);
        Assert.Equal([1, 64], json["latency"]!.AsArray().Select(l => (int)l!["batch_size"]!));
        // 25 % of the full cost (50 MACs) is below the first exit (100): only 50 % and 75 %, at batch 64 (per batch and
        // pooled) and 1.
        var speedups = json["speedups"]!.AsArray();
        Assert.Equal(6, speedups.Count);
        Assert.Equal([false, false, true, true, false, false], speedups.Select(s => (bool)s!["pooled"]!));
        Assert.Equal([64, 64, 64, 64, 1, 1], speedups.Select(s => (int)s!["batch_size"]!));
        Assert.Contains("unreachable", r.Out, StringComparison.Ordinal);
        Assert.Equal(16, (int)json["anytime"]!["images"]!);
        foreach (var f in new[] { "report_curve.csv", "report_exits.csv", "report_speedup.csv", "report_training.csv" })
        {
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        }
    }

    private static ByteImage Image(int w, int h, int c)
    {
        var img = ByteImage.Create(w, h, c);
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            img.Pixels[i] = (byte)((i * 37) % 251);
        }

        return img;
    }
}
