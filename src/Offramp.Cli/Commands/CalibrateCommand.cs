using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Offramp.Engine.IO;
using Offramp.Inference;

namespace Offramp.Cli.Commands;

/// <summary>
/// <c>offramp calibrate</c>: MSDNet's budgeted protocol on a run's held-out split (never the test set, never augmented
/// images). <c>--budget</c> writes thresholds whose calibration-set cost is the largest ≤ the budget and prints the
/// test-set cost beside it; <c>--sweep</c> writes the whole accuracy-vs-cost curve as CSV and JSON.
/// </summary>
internal static class CalibrateCommand
{
    public const string CurveCsv = "curve.csv";
    public const string CurveJson = "curve.json";

    public static Command Build(Option<int?> threads)
    {
        var cmd = new Command("calibrate", "Calibrate exit thresholds for a compute budget on a run's held-out split " +
            "(MSDNet's budgeted protocol); report calibration- and test-set cost beside the budget, or sweep the curve.");
        var run = new Option<DirectoryInfo>("--run", "-r") { Description = "Run directory (from `offramp train`)", Required = true, HelpName = "DIR" };
        var budget = new Option<string?>("--budget", "-b") { Description = BudgetOption.Help, HelpName = "B" };
        var sweep = new Option<bool>("--sweep") { Description = $"Also write the accuracy-vs-cost curve (RUN/{CurveCsv}, RUN/{CurveJson})" };
        var output = new Option<FileInfo?>("--out", "-o") { Description = $"Thresholds file [RUN/{RunContext.ThresholdsFileName}]", HelpName = "FILE" };
        var family = new Option<string>("--family") { Description = "Exit-distribution generator: msdnet or dyn_perceiver (4 exits) [msdnet]", DefaultValueFactory = _ => "msdnet" };
        family.AcceptOnlyFromAmong("msdnet", "dyn_perceiver");
        var measure = new Option<string>("--measure") { Description = "Confidence: max_softmax or entropy [max_softmax]", DefaultValueFactory = _ => "max_softmax" };
        measure.AcceptOnlyFromAmong("max_softmax", "entropy");
        var weights = new Option<FileInfo?>("--weights") { Description = "Weights file [RUN/model.safetensors, else the latest checkpoint]", HelpName = "FILE" };
        foreach (var o in new Option[] { run, budget, sweep, output, family, measure, weights })
        {
            cmd.Options.Add(o);
        }

        var keys = ConfigOptions.AddTo(cmd, k => k.Name is "data_dir" or "eval_batch_size");
        cmd.SetAction(parse => InferenceGuard.Run(() =>
        {
            var b = parse.GetValue(budget);
            if (b is null && !parse.GetValue(sweep))
            {
                throw new UsageException("calibrate needs --budget B, --sweep, or both");
            }

            var ctx = RunContext.Open(parse.GetValue(run)!.FullName, parse.GetValue(weights)?.FullName, ConfigOptions.Overrides(parse, keys, threads));
            return Run(ctx, b is null ? null : BudgetOption.Parse(b), parse.GetValue(sweep), parse.GetValue(output)?.FullName,
                ctx.Family(parse.GetValue(family)!), parse.GetValue(measure) == "entropy" ? ConfidenceMeasure.Entropy : ConfidenceMeasure.MaxSoftmax);
        }));
        return cmd;
    }

    private static int Run(RunContext ctx, Budget? budget, bool sweep, string? outPath, ExitDistributionFamily family, ConfidenceMeasure measure)
    {
        var o = Console.Out;
        var held = ctx.HeldOutLogits(o);
        var test = ctx.TestLogits(o);
        var calibrator = new ThresholdCalibrator(held, measure);
        double full = held.FullCost;
        double fullAcc = SimulatedRunner.RunAtExit(test, test.Exits - 1).Accuracy;
        o.WriteLine(Inv($"{ctx.Config.Model}: {held.Exits} exits, full model {full / 1e6:G4} MMACs/image, test accuracy {100 * fullAcc:F2} %"));
        if (budget is { } bud)
        {
            var r = calibrator.ForBudget(bud, family, test);
            var path = outPath ?? Path.Combine(ctx.Dir, RunContext.ThresholdsFileName);
            ThresholdsFile.FromBudget(r).Save(path);
            var t = r.Test!;
            o.WriteLine(Inv($"budget {bud} = {r.BudgetMacs / 1e6:G6} MMACs/image ({100 * r.BudgetMacs / full:F1} % of the full model)"));
            o.WriteLine(Inv($"  calibration set (held-out, {held.Samples}): cost {r.Calibration.Cost / 1e6:G6} MMACs ({100 * r.Calibration.Cost / full:F1} %), accuracy {100 * r.Calibration.Accuracy:F2} %"));
            o.WriteLine(Inv($"  test set ({test.Samples}):               cost {t.AverageCost / 1e6:G6} MMACs ({100 * t.AverageCost / full:F1} %), accuracy {100 * t.Accuracy:F2} % ({100 * t.Accuracy / fullAcc:F2} % of the full model)"));
            o.WriteLine($"  test exits: {string.Join(", ", test.ExitNames.Select((n, k) => $"{n} {t.Histogram[k]}"))}");
            o.WriteLine($"  {r.Calibration.Policy}");
            o.WriteLine($"thresholds: {path}");
        }

        if (sweep)
        {
            var curve = calibrator.Sweep(family, test);
            WriteCurve(ctx.Dir, curve);
            o.WriteLine($"{"fraction of full",16} {"accuracy %",10} {"MMACs",10}");
            foreach (var f in curve.AccuracyAtCostFractions())
            {
                o.WriteLine(Inv($"{100 * f.Fraction,15:F0}% {100 * f.Accuracy,10:F2} {f.Cost / 1e6,10:G4}"));
            }

            o.WriteLine($"curve: {Path.Combine(ctx.Dir, CurveCsv)}, {Path.Combine(ctx.Dir, CurveJson)}");
        }

        return ExitCodes.Ok;
    }

    private static void WriteCurve(string dir, BudgetCurve curve)
    {
        var csv = new StringBuilder("p,calibration_cost,calibration_accuracy,test_cost,test_accuracy\n");
        var points = new JsonArray();
        foreach (var p in curve.Points)
        {
            csv.Append(Inv($"{p.Calibration.P:G9},{p.Calibration.Cost:G9},{p.Calibration.Accuracy:G9},{p.Cost:G9},{p.Accuracy:G9}\n"));
            points.Add(new JsonObject
            {
                ["p"] = p.Calibration.P, ["calibration_cost"] = p.Calibration.Cost, ["calibration_accuracy"] = p.Calibration.Accuracy,
                ["test_cost"] = p.Cost, ["test_accuracy"] = p.Accuracy,
            });
        }

        var json = new JsonObject
        {
            ["family"] = curve.Family,
            ["full_cost"] = curve.FullCost,
            ["points"] = points,
            ["anytime"] = new JsonArray([.. curve.Anytime.Select(a => (JsonNode)new JsonObject
            {
                ["exit"] = a.Name, ["cost"] = a.Cost, ["accuracy"] = a.Accuracy,
            })]),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, CurveCsv), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, CurveJson), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
