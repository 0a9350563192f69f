using System.Globalization;

namespace Offramp.Reports;

public sealed partial class CompareReport
{
    /// <summary>True when every run has the same exit names in the same order (the table then names its columns by
    /// exit; otherwise columns are exit positions and each cell names its exit).</summary>
    public bool SameExits => Runs.All(r => r.Curve.Anytime.Select(p => p.Name).SequenceEqual(Runs[0].Curve.Anytime.Select(p => p.Name)));

    /// <summary>The comparison as one self-contained HTML page.</summary>
    public string ToHtml()
    {
        var report = new HtmlReport("Offramp comparison: " + string.Join(" vs ", Runs.Select(r => r.Label)));
        report.AddParagraph(string.Create(CultureInfo.InvariantCulture,
            $"{Runs.Count} runs. Each run's thresholds are calibrated on its own held-out split ({string.Join(", ", Runs.Select(r => r.Curve.Family).Distinct())} exit distributions); every accuracy and cost is measured on the test set."));

        report.AddHeading("Accuracy vs average MACs");
        var chart = new LineChart("Budgeted accuracy (test set)") { XLabel = "average MMACs per sample", YLabel = "accuracy (%)" };
        foreach (var r in Runs)
        {
            var pts = CurveComparison.ToCurve(r.SweepPoints);
            chart.AddSeries($"{r.Label} ({r.ModelName}) budgeted", [.. pts.Select(p => p.Cost / 1e6)], [.. pts.Select(p => 100 * p.Accuracy)], SeriesStyle.Lines);
            chart.AddSeries($"{r.Label} ({r.ModelName}) exits", [.. r.Curve.Anytime.Select(p => p.Cost / 1e6)], [.. r.Curve.Anytime.Select(p => 100 * p.Accuracy)], SeriesStyle.Markers);
        }

        report.AddChart(chart, "Lines: each run's budgeted curve (one point per p of the exit-distribution family, thresholds calibrated on the held-out split, accuracy and average cost on the test set). Markers: every sample answers at exit k.");

        foreach (var p in Pairs)
        {
            report.AddParagraph(Describe(p));
        }

        report.AddHeading("Per run (Table 3)");
        report.AddTable(RunTable());
        return report.ToHtml();
    }

    private HtmlTable RunTable()
    {
        int maxExits = Runs.Max(r => r.Curve.Anytime.Count);
        bool same = SameExits;
        var headers = new List<string> { "run", "model" };
        headers.AddRange(Enumerable.Range(0, maxExits).Select(k => same ? $"{Runs[0].Curve.Anytime[k].Name} %" : $"exit {k + 1} %"));
        headers.AddRange(["full MMACs", "params", "epochs"]);
        headers.AddRange(Budgets.Select((b, i) => string.Create(CultureInfo.InvariantCulture, $"≤ {100 * BudgetFractions[i]:G3} % ({b / 1e6:G4} MMACs) %")));
        var table = new HtmlTable([.. headers])
        {
            NumberFormat = "F2",
            Caption = string.Create(CultureInfo.InvariantCulture,
                $"Test accuracy of each exit (every sample answers there), and the accuracy within absolute budgets — fractions of the largest run's full cost ({MaxFullCost / 1e6:G4} MMACs): the run's best operating point costing at most the budget; — where its first exit already costs more."),
        };
        for (int r = 0; r < Runs.Count; r++)
        {
            var run = Runs[r];
            var row = new List<object?> { run.Label, run.ModelName };
            for (int k = 0; k < maxExits; k++)
            {
                row.Add(k >= run.Curve.Anytime.Count ? "" : same ? 100 * run.Curve.Anytime[k].Accuracy
                    : string.Create(CultureInfo.InvariantCulture, $"{run.Curve.Anytime[k].Name}: {100 * run.Curve.Anytime[k].Accuracy:F2}"));
            }

            row.Add((run.Curve.FullCost / 1e6).ToString("G4", CultureInfo.InvariantCulture));
            row.Add(run.Parameters);
            row.Add(run.Epochs);
            row.AddRange(AccuracyWithinBudget[r].Select(a => double.IsNaN(a) ? "—" : (object)(100 * a)));
            table.AddRow([.. row]);
        }

        return table;
    }
}
