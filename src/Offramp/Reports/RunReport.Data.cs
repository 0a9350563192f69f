using System.Globalization;
using System.Text.Json.Nodes;
using Offramp.Inference;

namespace Offramp.Reports;

public static partial class RunReport
{
    /// <summary>The report's numbers as JSON: model, exits (MACs, test accuracy, latency), the curve, accuracy at
    /// cost fractions, the budget's thresholds and histograms, speed-ups, training log.</summary>
    public static JsonObject ToJson(RunReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var at = data.AtBudget;
        var anytime = SimulatedRunner.Anytime(data.Test);
        var exits = new JsonArray();
        for (int k = 0; k < data.Test.Exits; k++)
        {
            exits.Add(new JsonObject
            {
                ["name"] = data.Test.ExitNames[k], ["macs"] = data.Test.Costs[k], ["test_accuracy"] = J(anytime[k].Accuracy),
            });
        }

        return new JsonObject
        {
            ["run"] = data.RunName,
            ["model"] = data.ModelName,
            ["full_macs"] = data.Curve.FullCost,
            ["test_samples"] = data.Test.Samples,
            ["exits"] = exits,
            ["latency"] = new JsonArray([.. data.Latency.Select(l => (JsonNode)l.ToJson())]),
            ["curve"] = new JsonObject
            {
                ["family"] = data.Curve.Family,
                ["points"] = new JsonArray([.. data.Curve.Points.Select(p => (JsonNode)new JsonObject
                {
                    ["p"] = p.Calibration.P is double pv ? JsonValue.Create(pv) : null,
                    ["calibration_cost"] = p.Calibration.Cost,
                    ["calibration_accuracy"] = J(p.Calibration.Accuracy),
                    ["test_cost"] = J(p.Cost),
                    ["test_accuracy"] = J(p.Accuracy),
                })]),
                ["accuracy_at_cost_fractions"] = new JsonArray([.. data.Curve.AccuracyAtCostFractions().Select(f => (JsonNode)new JsonObject
                {
                    ["fraction"] = f.Fraction, ["budget"] = f.Budget, ["accuracy"] = J(f.Accuracy), ["cost"] = J(f.Cost),
                })]),
            },
            ["budget"] = new JsonObject
            {
                ["requested"] = at.Requested.ToString(),
                ["macs"] = at.BudgetMacs,
                ["calibration_cost"] = at.Calibration.Cost,
                ["calibration_accuracy"] = J(at.Calibration.Accuracy),
                ["test_cost"] = J(at.Test?.AverageCost ?? double.NaN),
                ["test_accuracy"] = J(at.Test?.Accuracy ?? double.NaN),
                ["thresholds"] = new JsonArray([.. at.Calibration.Thresholds.Select(t => (JsonNode?)(double.IsFinite(t) ? JsonValue.Create(t) : JsonValue.Create(t > 0 ? "Infinity" : "-Infinity")))]),
                ["calibration_histogram"] = new JsonArray([.. at.Calibration.Histogram.Select(h => (JsonNode)h)]),
                ["test_histogram"] = at.Test is null ? null : new JsonArray([.. at.Test.Histogram.Select(h => (JsonNode)h)]),
            },
            ["speedups"] = new JsonArray([.. data.Speedups.Select(s => (JsonNode)new JsonObject
            {
                ["budget_fraction"] = s.BudgetFraction,
                ["batch_size"] = s.Run.BatchSize,
                ["pooled"] = s.Run.Pooled,
                ["threads"] = s.Run.Threads,
                ["samples"] = s.Run.Samples,
                ["accuracy"] = J(s.Run.Accuracy),
                ["average_macs"] = s.Run.AverageMacs,
                ["mac_speedup"] = J(s.Run.MacSpeedup),
                ["dynamic_s"] = s.Run.DynamicSeconds,
                ["full_s"] = J(s.Run.FullSeconds),
                ["measured_speedup"] = J(s.Run.MeasuredSpeedup),
                ["measured_over_mac"] = J(s.Run.SpeedupEfficiency),
                ["histogram"] = new JsonArray([.. s.Run.Histogram.Select(h => (JsonNode)h)]),
            })]),
            ["anytime"] = data.Anytime is not { } any ? null : new JsonObject
            {
                ["deadline_ms"] = any.Deadline.TotalMilliseconds,
                ["images"] = any.Answers.Count,
                ["deadline_met_rate"] = J(any.DeadlineMetRate),
                ["accuracy"] = J(any.Accuracy),
                ["average_macs_spent"] = J(any.AverageMacsSpent),
                ["histogram"] = new JsonArray([.. any.Histogram.Select(h => (JsonNode)h)]),
            },
            ["training"] = new JsonArray([.. data.Training.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch,
                ["train_loss"] = J(e.TrainLoss),
                ["heldout_acc"] = e.Heldout is null ? null : Dict(e.Heldout.ExitAcc),
                ["test_acc"] = e.Test is null ? null : Dict(e.Test.ExitAcc),
            })]),
        };
    }

    private static JsonObject Dict(Dictionary<string, double> d)
    {
        var o = new JsonObject();
        foreach (var (k, v) in d)
        {
            o[k] = J(v);
        }

        return o;
    }

    private static string CurveToCsv(RunReportData d) => Csv(
        ["p", "calibration_cost", "calibration_accuracy", "test_cost", "test_accuracy"],
        d.Curve.Points.Select(p => new[]
        {
            F(p.Calibration.P ?? double.NaN), F(p.Calibration.Cost), F(p.Calibration.Accuracy), F(p.Cost), F(p.Accuracy),
        }));

    private static string ExitsToCsv(RunReportData d)
    {
        var anytime = SimulatedRunner.Anytime(d.Test);
        return Csv(
            ["exit", "macs", "test_accuracy", "answers_at_budget", .. d.Latency.Select(l => $"ms_per_sample_batch{l.BatchSize}")],
            Enumerable.Range(0, d.Test.Exits).Select(k => (IEnumerable<string>)[
                d.Test.ExitNames[k], F(d.Test.Costs[k]), F(anytime[k].Accuracy),
                d.AtBudget.Test is { } t ? t.Histogram[k].ToString(CultureInfo.InvariantCulture) : "",
                .. d.Latency.Select(l => F(l.MillisecondsPerSample[k]))]));
    }

    private static string SpeedupsToCsv(RunReportData d) => Csv(
        ["budget_fraction", "batch_size", "pooled", "threads", "samples", "accuracy", "average_macs", "mac_speedup", "dynamic_s", "full_s", "measured_speedup", "measured_over_mac"],
        d.Speedups.Select(s => new[]
        {
            F(s.BudgetFraction), s.Run.BatchSize.ToString(CultureInfo.InvariantCulture), s.Run.Pooled ? "true" : "false",
            s.Run.Threads.ToString(CultureInfo.InvariantCulture),
            s.Run.Samples.ToString(CultureInfo.InvariantCulture), F(s.Run.Accuracy), F(s.Run.AverageMacs), F(s.Run.MacSpeedup),
            F(s.Run.DynamicSeconds), F(s.Run.FullSeconds), F(s.Run.MeasuredSpeedup), F(s.Run.SpeedupEfficiency),
        }));

    private static string TrainingToCsv(RunReportData d)
    {
        var names = d.Test.ExitNames;
        return Csv(
            ["epoch", "train_loss", .. names.Select(n => $"heldout_acc_{n}"), .. names.Select(n => $"test_acc_{n}")],
            d.Training.Select(e => (IEnumerable<string>)[
                e.Epoch.ToString(CultureInfo.InvariantCulture), F(e.TrainLoss),
                .. names.Select(n => F(Acc(e.Heldout, n))), .. names.Select(n => F(Acc(e.Test, n)))]));
    }
}
