using System.Text.Json.Nodes;
using Offramp.Analysis;
using Offramp.Engine;
using Offramp.Inference;
using Offramp.Reports;
using Offramp.Tests.Data;
using Offramp.Tests.Inference;
using Offramp.Training;

namespace Offramp.Tests.Reports;

public sealed class RunReportTests
{
    private static RunReportData Data()
    {
        var rng = new Rng(21);
        var held = InferenceData.Random(rng, 3, 200, 4);
        var test = InferenceData.Random(rng, 3, 150, 4);
        held = new ExitLogits(held.Values, 3, 200, 4, [10, 25, 40], held.Labels, ["a", "b", "c"], "carry");
        test = new ExitLogits(test.Values, 3, 150, 4, [10, 25, 40], test.Labels, ["a", "b", "c"], "carry");
        var cal = new ThresholdCalibrator(held);
        var family = ExitDistributionFamily.MsdNet(3);
        var model = new CarryModel();
        var x = Tensor.Randn(rng, [6, 1, 4, 4]);
        var run = new DynamicRunner(model, new AlwaysExit()).Run([(x, [0, 1, 2, 3, 0, 1])], new DynamicRunOptions { Clock = new FakeClock(TimeSpan.FromMilliseconds(1)) });
        return new RunReportData
        {
            RunName = "run<1>",
            ModelName = "carry",
            Curve = cal.Sweep(family, test),
            AtBudget = cal.ForBudget(Budget.FractionOfFullCost(0.6), family, test),
            Test = test,
            Latency = [ExitLatency.Measure(model, 1, 2, 0, clock: new FakeClock(TimeSpan.FromMilliseconds(1))), ExitLatency.Measure(model, 4, 2, 0, clock: new FakeClock(TimeSpan.FromMilliseconds(1)))],
            Speedups = [new SpeedupMeasurement(0.25, run)],
            Anytime = new AnytimeRunner(model, TimeSpan.FromMilliseconds(2.5), new FakeClock(TimeSpan.FromMilliseconds(1))).Run([(x, [0, 1, 2, 3, 0, 1])]),
            Training =
            [
                new EpochLogEntry { Epoch = 1, TrainLoss = 1.5, Test = new EvalReport { ExitAcc = { ["a"] = 0.5, ["b"] = 0.6, ["c"] = 0.7 } } },
                new EpochLogEntry { Epoch = 2, TrainLoss = 1.1, Test = new EvalReport { ExitAcc = { ["a"] = 0.55, ["b"] = 0.65, ["c"] = 0.75 } } },
            ],
        };
    }

    [Fact]
    public void ToHtml_FullData_HasEveryChartAndTableEscaped()
    {
        var html = RunReport.ToHtml(Data());

        Assert.Equal(5, html.Split("<svg", StringSplitOptions.None).Length - 1);
        foreach (var s in new[] { "Accuracy vs average MACs", "Exits taken at a budget", "Per exit", "measured vs counted speed-up", "Deadline met for 100.0 %", "Training", "ms/sample @ batch 4", "run&lt;1&gt;" })
        {
            Assert.Contains(s, html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_WritesHtmlJsonAndCsvWithTheSameNumbers()
    {
        var data = Data();
        using var dir = new TempDir();

        var files = RunReport.Save(data, dir.Path);

        Assert.Equal(6, files.Count);
        Assert.All(files, f => Assert.True(File.Exists(f), f));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, RunReport.JsonFile)))!;
        Assert.Equal(data.Curve.Points.Count, json["curve"]!["points"]!.AsArray().Count);
        Assert.Equal(data.AtBudget.Calibration.Cost, (double)json["budget"]!["calibration_cost"]!);
        Assert.True((double)json["budget"]!["calibration_cost"]! <= (double)json["budget"]!["macs"]!);
        Assert.Equal(3, json["exits"]!.AsArray().Count);
        Assert.Equal(2, json["latency"]!.AsArray().Count);
        Assert.Equal(4.0, (double)json["speedups"]![0]!["mac_speedup"]!);
        Assert.Equal(2.5, (double)json["anytime"]!["deadline_ms"]!);
        Assert.Equal([0, 6, 0], json["anytime"]!["histogram"]!.AsArray().Select(h => (int)h!));
        var curve = File.ReadAllLines(Path.Combine(dir.Path, RunReport.CurveCsv));
        Assert.Equal("p,calibration_cost,calibration_accuracy,test_cost,test_accuracy", curve[0]);
        Assert.Equal(data.Curve.Points.Count + 1, curve.Length);
        var exits = File.ReadAllLines(Path.Combine(dir.Path, RunReport.ExitsCsv));
        Assert.Equal("exit,macs,test_accuracy,answers_at_budget,ms_per_sample_batch1,ms_per_sample_batch4", exits[0]);
        Assert.StartsWith("b,25,", exits[2], StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir.Path, RunReport.TrainingCsv)).Length);
    }

    [Fact]
    public void ReadTrainingLog_BadLine_NamesFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.Write("log.jsonl", "{\"epoch\": 1, \"nope\": 2}\n"u8.ToArray());

        var e = Assert.Throws<FormatException>(() => RunReport.ReadTrainingLog(path));

        Assert.Contains("log.jsonl:1", e.Message, StringComparison.Ordinal);
        Assert.Empty(RunReport.ReadTrainingLog(Path.Combine(dir.Path, "missing.jsonl")));
    }
}
