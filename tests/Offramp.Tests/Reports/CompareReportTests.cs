using System.Text.Json.Nodes;
using Offramp.Analysis;
using Offramp.Engine;
using Offramp.Inference;
using Offramp.Reports;
using Offramp.Tests.Data;
using Offramp.Tests.Inference;

namespace Offramp.Tests.Reports;

public sealed class CompareReportTests
{
    /// <summary>A synthetic run: random exit outputs with these cumulative costs, its curve swept as the CLI does.</summary>
    private static CompareRun SyntheticRun(ulong seed, string label, double[] costs, string[] names)
    {
        var rng = new Rng(seed);
        int e = costs.Length;
        var held = InferenceData.Random(rng, e, 200, 4);
        var test = InferenceData.Random(rng, e, 150, 4);
        held = new ExitLogits(held.Values, e, 200, 4, costs, held.Labels, names, "syn");
        test = new ExitLogits(test.Values, e, 150, 4, costs, test.Labels, names, "syn");
        return new CompareRun
        {
            Label = label,
            ModelName = "syn" + e,
            Curve = new ThresholdCalibrator(held).Sweep(ExitDistributionFamily.MsdNet(e), test),
            Parameters = 1000 * e,
            Epochs = 3,
            TestSamples = test.Samples,
        };
    }

    // A: 3 exits at 10/25/40 MACs; B: 2 exits at 22/80 MACs. Budgets 25/50/75 % of 80 = 20, 40, 60 MACs: B's first
    // exit (22) is above the first budget.
    private static CompareReport Report() => new(
    [
        SyntheticRun(3, "small<a>", [10, 25, 40], ["e1", "e2", "e3"]),
        SyntheticRun(4, "big", [22, 80], ["x1", "final"]),
    ]);

    [Fact]
    public void Constructor_FewerThanTwoRunsOrDuplicateLabels_Throws()
    {
        var a = SyntheticRun(3, "a", [10, 20], ["e1", "e2"]);

        Assert.Contains("at least 2 runs, got 1", Assert.Throws<ArgumentException>(() => new CompareReport([a])).Message, StringComparison.Ordinal);
        Assert.Contains("'a'", Assert.Throws<ArgumentException>(() => new CompareReport([a, a])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CompareReport([a, a with { Label = "b" }], [0.5, 1.5]));
    }

    [Fact]
    public void AccuracyWithinBudget_BudgetsOfLargestFullCost_NaNBelowARunsFirstExit()
    {
        var report = Report();

        Assert.Equal([20.0, 40.0, 60.0], report.Budgets);
        Assert.True(double.IsNaN(report.AccuracyWithinBudget[1][0]), "B's first exit costs 22 > 20");
        Assert.False(double.IsNaN(report.AccuracyWithinBudget[1][1]));
        for (int r = 0; r < 2; r++)
        {
            for (int b = 0; b < 3; b++)
            {
                // Oracle: among every test-set operating point (sweep and anytime) costing ≤ the budget, the dearest.
                var run = report.Runs[r];
                var ok = run.Curve.Points.Select(p => (p.Cost, p.Accuracy)).Concat(run.Curve.Anytime.Select(p => (p.Cost, p.Accuracy)))
                    .Where(p => p.Cost <= report.Budgets[b]).ToList();
                double expected = ok.Count == 0 ? double.NaN : ok.Where(p => p.Cost == ok.Max(q => q.Cost)).Max(p => p.Accuracy);
                Assert.Equal(expected, report.AccuracyWithinBudget[r][b]);
            }
        }

        // A's whole model (40 MACs) fits the 40 and 60 MAC budgets: its final exit's accuracy at least.
        Assert.True(report.AccuracyWithinBudget[0][2] >= report.Runs[0].Curve.Anytime[^1].Accuracy);
    }

    [Fact]
    public void ToHtml_TwoRuns_OneChartWithBothCurvesTableRowsAndPairLine()
    {
        var report = Report();

        var html = report.ToHtml();

        Assert.Equal(1, html.Split("<svg", StringSplitOptions.None).Length - 1);
        foreach (var s in new[] { "small&lt;a&gt; (syn3) budgeted", "small&lt;a&gt; (syn3) exits", "big (syn2) budgeted", "big (syn2) exits",
            "Per run (Table 3)", "exit 3 %", "e3: ", "final: ", "≤ 25 % (2E-05 MMACs) %", "—", "small&lt;a&gt; vs big: over the low-budget half" })
        {
            Assert.Contains(s, html, StringComparison.Ordinal);
        }

        Assert.Single(report.Pairs);
        Assert.False(report.SameExits);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_TwoRuns_JsonAndCsvCarryTheSameNumbers()
    {
        var report = Report();
        using var dir = new TempDir();

        var files = report.Save(dir.Path);

        Assert.Equal([CompareReport.HtmlFile, CompareReport.JsonFile, CompareReport.CsvFile], files.Select(Path.GetFileName));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, CompareReport.JsonFile)))!;
        Assert.Equal(80.0, (double)json["max_full_macs"]!);
        var runs = json["runs"]!.AsArray();
        Assert.Equal(["small<a>", "big"], runs.Select(r => (string)r!["label"]!));
        Assert.Equal(3, runs[0]!["exits"]!.AsArray().Count);
        Assert.Equal(2, runs[1]!["exits"]!.AsArray().Count);
        Assert.Null(runs[1]!["accuracy_within_budgets"]![0]);
        Assert.Equal(report.AccuracyWithinBudget[0][0], (double)runs[0]!["accuracy_within_budgets"]![0]!);
        Assert.Equal(report.Runs[1].Curve.Points.Count, runs[1]!["curve"]!.AsArray().Count);
        var pair = json["pairs"]![0]!;
        var exact = report.Pairs[0].Result!;
        Assert.Equal(exact.FractionAHigher, (double)pair["fraction_a_higher"]!);
        Assert.Equal(Math.Max(report.Runs[0].SweepPoints.Min(p => p.Cost), report.Runs[1].SweepPoints.Min(p => p.Cost)), (double)pair["common_low_macs"]!);

        var csv = File.ReadAllLines(Path.Combine(dir.Path, CompareReport.CsvFile));
        Assert.Equal(3, csv.Length);
        Assert.Equal("label,model,full_macs,params,epochs,test_samples,acc_within_20_macs,acc_within_40_macs,acc_within_60_macs," +
            "exit1_name,exit1_macs,exit1_test_accuracy,exit2_name,exit2_macs,exit2_test_accuracy,exit3_name,exit3_macs,exit3_test_accuracy", csv[0]);
        Assert.StartsWith("big,syn2,80,2000,3,150,,", csv[2], StringComparison.Ordinal);
        Assert.EndsWith(",final,80," + report.Runs[1].Curve.Anytime[1].Accuracy.ToString("G9", System.Globalization.CultureInfo.InvariantCulture) + ",,,", csv[2], StringComparison.Ordinal);
    }
}
