using System.Globalization;
using Offramp.Inference;

namespace Offramp.Reports;

public static partial class RunReport
{
    /// <summary>The report as one self-contained HTML page.</summary>
    public static string ToHtml(RunReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var curve = data.Curve;
        var at = data.AtBudget;
        double full = curve.FullCost;
        double fullAcc = curve.Anytime[^1].Accuracy;
        var report = new HtmlReport($"Offramp report: {data.RunName}");
        report.AddParagraph(string.Create(CultureInfo.InvariantCulture,
            $"Model {data.ModelName}, {data.Test.Exits} exits, full model {full / 1e6:G4} MMACs per sample. Thresholds are calibrated on the held-out split ({at.Calibration.Samples} samples, {curve.Family} exit distributions); every accuracy and cost below is measured on the test set ({data.Test.Samples} samples) unless it says calibration."));

        report.AddHeading("Accuracy vs average MACs");
        var chart = new LineChart("Budgeted accuracy (test set)") { XLabel = "average MMACs per sample", YLabel = "accuracy (%)" };
        chart.AddSeries($"budgeted ({curve.Family})", [.. curve.Points.Select(p => p.Cost / 1e6)], [.. curve.Points.Select(p => 100 * p.Accuracy)]);
        chart.AddSeries("anytime (each exit)", [.. curve.Anytime.Select(p => p.Cost / 1e6)], [.. curve.Anytime.Select(p => 100 * p.Accuracy)], SeriesStyle.Markers);
        chart.AddVerticalLine(at.BudgetMacs / 1e6, $"budget {at.Requested}");
        if (double.IsFinite(fullAcc))
        {
            chart.AddHorizontalLine(100 * fullAcc, "full model");
        }

        report.AddChart(chart, "One point per p of the exit-distribution family (MSDNet's protocol): thresholds calibrated on the held-out split, accuracy and average cost on the test set. Markers: every sample answers at exit k.");
        var fractions = new HtmlTable("fraction of full MACs", "budget MMACs", "test accuracy %", "average MMACs", "of full-model accuracy %")
        {
            Caption = "Accuracy within a fraction of the full model's cost (the curve point with the largest cost ≤ the budget)",
        };
        foreach (var f in curve.AccuracyAtCostFractions())
        {
            fractions.AddRow(100 * f.Fraction, f.Budget / 1e6, 100 * f.Accuracy, f.Cost / 1e6, 100 * f.Accuracy / fullAcc);
        }

        report.AddTable(fractions);

        report.AddHeading($"Exits taken at a budget of {at.Requested}");
        var names = data.Test.ExitNames;
        var hist = new BarChart($"Exit histogram at {at.Requested}", names) { XLabel = "exit", YLabel = "samples" };
        hist.AddSeries("calibration (held-out)", [.. at.Calibration.Histogram.Select(h => (double)h)]);
        if (at.Test is { } t)
        {
            hist.AddSeries("test", [.. t.Histogram.Select(h => (double)h)]);
        }

        report.AddChart(hist, string.Create(CultureInfo.InvariantCulture,
            $"Budget {at.BudgetMacs / 1e6:G4} MMACs; calibration-set cost {at.Calibration.Cost / 1e6:G4} MMACs (never above the budget), test-set cost {(at.Test?.AverageCost ?? double.NaN) / 1e6:G4} MMACs, test accuracy {100 * (at.Test?.Accuracy ?? double.NaN):F2} %. Thresholds: {at.Calibration.Policy}."));

        report.AddHeading("Per exit");
        report.AddTable(ExitTable(data));
        if (data.Speedups.Count > 0)
        {
            report.AddHeading("Real early exit: measured vs counted speed-up");
            var st = new HtmlTable("budget %", "batch", "continuing samples", "threads", "samples", "accuracy %", "avg MMACs", "MAC speed-up", "measured speed-up", "measured / MAC")
            {
                Caption = "The dynamic runner (real exits, batch compaction) against the full model on the same batches. "
                    + "\"per batch\": each batch compacted on its own, time = sum of per-batch medians; \"pooled\": the samples going on "
                    + "past an exit gathered across batches until a batch's worth waits, time = median of whole-input runs",
            };
            foreach (var s in data.Speedups)
            {
                var r = s.Run;
                st.AddRow(100 * s.BudgetFraction, r.BatchSize, r.Pooled ? "pooled" : "per batch", r.Threads, r.Samples, 100 * r.Accuracy,
                    r.AverageMacs / 1e6, r.MacSpeedup, r.MeasuredSpeedup, r.SpeedupEfficiency);
            }

            report.AddTable(st);
        }

        if (data.Anytime is { } any)
        {
            report.AddHeading("Anytime prediction under a deadline");
            var ah = new BarChart(string.Create(CultureInfo.InvariantCulture, $"Answering exit at a {any.Deadline.TotalMilliseconds:G4} ms deadline"), names) { XLabel = "exit", YLabel = "images" };
            ah.AddSeries("answers", [.. any.Histogram.Select(h => (double)h)]);
            report.AddChart(ah, string.Create(CultureInfo.InvariantCulture,
                $"Batch 1, {any.Answers.Count} test images: the latest exit finished within the deadline answers. Deadline met for {100 * any.DeadlineMetRate:F1} % of the images (a miss still answers with exit {names[0]}, counted here); accuracy {100 * any.Accuracy:F2} %, {any.AverageMacsSpent / 1e6:G4} MMACs spent per image on average."));
        }

        if (data.Training.Count > 0)
        {
            report.AddHeading("Training");
            var epochs = data.Training.Select(e => (double)e.Epoch).ToArray();
            var acc = new LineChart("Accuracy per exit") { XLabel = "epoch", YLabel = "accuracy (%)" };
            foreach (var name in names)
            {
                if (data.Training.Any(e => e.Test is not null))
                {
                    acc.AddSeries($"{name} test", epochs, [.. data.Training.Select(e => 100 * Acc(e.Test, name))]);
                }

                if (data.Training.Any(e => e.Heldout is not null))
                {
                    acc.AddSeries($"{name} held-out", epochs, [.. data.Training.Select(e => 100 * Acc(e.Heldout, name))], SeriesStyle.Lines);
                }
            }

            if (acc.Series.Count > 0)
            {
                report.AddChart(acc, "Per-exit accuracy after each epoch.");
            }

            var loss = new LineChart("Training loss") { XLabel = "epoch", YLabel = "mean loss" };
            loss.AddSeries("total", epochs, [.. data.Training.Select(e => e.TrainLoss)]);
            report.AddChart(loss, "Mean weighted multi-exit training loss per epoch.");
        }

        return report.ToHtml();
    }

    private static HtmlTable ExitTable(RunReportData data)
    {
        var lat = data.Latency;
        var headers = new List<string> { "exit", "MMACs", "of full %", "test accuracy %", "answers at budget (test)" };
        headers.AddRange(lat.Select(l => $"ms/sample @ batch {l.BatchSize}"));
        var table = new HtmlTable([.. headers])
        {
            Caption = "Cumulative MACs per sample in staged order; latency is the median time to reach the exit (threads: " +
                string.Join(", ", lat.Select(l => $"batch {l.BatchSize}: {l.Threads}")) + ")",
        };
        var anytime = SimulatedRunner.Anytime(data.Test);
        for (int k = 0; k < data.Test.Exits; k++)
        {
            var row = new List<object?>
            {
                data.Test.ExitNames[k], data.Test.Costs[k] / 1e6, 100 * data.Test.Costs[k] / data.Test.FullCost,
                100 * anytime[k].Accuracy, data.AtBudget.Test?.Histogram[k],
            };
            row.AddRange(lat.Select(l => (object?)l.MillisecondsPerSample[k]));
            table.AddRow([.. row]);
        }

        return table;
    }

    private static double Acc(Training.EvalReport? r, string exit) =>
        r is not null && r.ExitAcc.TryGetValue(exit, out var a) ? a : double.NaN;
}
