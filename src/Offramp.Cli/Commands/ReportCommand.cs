using System.CommandLine;
using System.Globalization;
using Offramp.Analysis;
using Offramp.Engine;
using Offramp.Inference;
using Offramp.Reports;
using Offramp.Training;

namespace Offramp.Cli.Commands;

/// <summary>
/// <c>offramp report RUN</c>: one self-contained HTML report of a trained run (accuracy vs average MACs with each
/// exit's anytime point, the exit histogram at a budget, per-exit accuracy / MACs / latency, measured vs counted
/// speed-ups of real early exit, training curves) plus the same numbers as JSON and CSV, in the run directory.
/// </summary>
internal static class ReportCommand
{
    /// <summary>Budgets of the speed-up table, as fractions of the full model.</summary>
    public static readonly double[] SpeedupBudgets = [0.25, 0.5, 0.75];

    public static Command Build(Option<int?> threads)
    {
        var cmd = new Command("report", "Write RUN/report.html (SVG charts) with report.json and CSV files: accuracy vs MACs, " +
            "exit histogram at a budget, per-exit accuracy/MACs/latency, measured vs counted speed-up, training curves.");
        var run = new Argument<DirectoryInfo>("RUN") { Description = "Run directory (from `offramp train`)" };
        var budget = new Option<string>("--budget", "-b") { Description = BudgetOption.Help + " — for the exit histogram [0.5]", DefaultValueFactory = _ => "0.5", HelpName = "B" };
        var family = new Option<string>("--family") { Description = "Exit-distribution generator: msdnet or dyn_perceiver [msdnet]", DefaultValueFactory = _ => "msdnet" };
        family.AcceptOnlyFromAmong("msdnet", "dyn_perceiver");
        var speedSamples = new Option<int>("--speed-samples") { Description = "Test images timed per budget at batch 64 (a quarter of them at batch 1 and in the anytime run); 0 skips both [1024]", DefaultValueFactory = _ => 1024 };
        // 9, not 3: a batch's first dynamic run rents buffers of new sizes (compaction changes the batch), and on this
        // noisy 2-core machine a median of 3 moved the batch-64 speed-up ratios by up to 0.1 between runs.
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per measurement (median) [9]", DefaultValueFactory = _ => 9 };
        var deadline = new Option<double?>("--deadline-ms") { Description = "Deadline of the anytime section, per image [the measured batch-1 time to the last exit]", HelpName = "MS" };
        var weights = new Option<FileInfo?>("--weights") { Description = "Weights file [RUN/model.safetensors, else the latest checkpoint]", HelpName = "FILE" };
        foreach (var o in new Option[] { budget, family, speedSamples, repeats, deadline, weights })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(run);
        var keys = ConfigOptions.AddTo(cmd, k => k.Name is "data_dir" or "eval_batch_size");
        cmd.SetAction(parse => InferenceGuard.Run(() =>
        {
            var b = BudgetOption.Parse(parse.GetValue(budget)!);
            int samples = parse.GetValue(speedSamples), reps = parse.GetValue(repeats);
            if (samples < 0 || reps < 1)
            {
                throw new UsageException("--speed-samples must be ≥ 0 and --repeats ≥ 1");
            }

            var ctx = RunContext.Open(parse.GetValue(run)!.FullName, parse.GetValue(weights)?.FullName, ConfigOptions.Overrides(parse, keys, threads));
            var d = parse.GetValue(deadline);
            if (d is { } ms && !(ms > 0 && double.IsFinite(ms)))
            {
                throw new UsageException($"--deadline-ms must be a positive number of milliseconds, got {ms}");
            }

            return Run(ctx, b, ctx.Family(parse.GetValue(family)!), samples, reps, d);
        }));
        return cmd;
    }

    private static int Run(RunContext ctx, Budget budget, ExitDistributionFamily family, int speedSamples, int repeats, double? deadlineMs)
    {
        var o = Console.Out;
        var held = ctx.HeldOutLogits(o);
        var test = ctx.TestLogits(o);
        var calibrator = new ThresholdCalibrator(held);
        var curve = calibrator.Sweep(family, test);
        var atBudget = calibrator.ForBudget(budget, family, test);
        o.WriteLine(Inv($"budget {budget}: calibration cost {atBudget.Calibration.Cost / 1e6:G4} MMACs ≤ {atBudget.BudgetMacs / 1e6:G4}, test cost {atBudget.Test!.AverageCost / 1e6:G4} MMACs, test accuracy {100 * atBudget.Test.Accuracy:F2} %"));

        var latency = new List<ExitLatencyResult>();
        foreach (var (batch, reps) in new[] { (1, Math.Max(5, 10 * repeats)), (64, Math.Max(3, 2 * repeats)) })
        {
            var l = ExitLatency.Measure(ctx.Model, batch, reps, warmup: 3);
            latency.Add(l);
            o.WriteLine($"latency {l}");
        }

        var speedups = new List<SpeedupMeasurement>();
        if (speedSamples > 0)
        {
            var images = FirstImages(ctx.Data.Test, speedSamples);
            foreach (var (batch, n, pooled) in new[] { (64, images.Images.Shape[0], false), (64, images.Images.Shape[0], true), (1, Math.Max(1, images.Images.Shape[0] / 4), false) })
            {
                foreach (double f in SpeedupBudgets)
                {
                    if (f * held.FullCost < held.Costs[0])
                    {
                        o.WriteLine(Inv($"budget {100 * f:F0} % batch {batch}: unreachable, the first exit alone costs {100 * held.Costs[0] / held.FullCost:F1} % of the full model"));
                        continue;
                    }

                    var policy = calibrator.ForBudget(Budget.FractionOfFullCost(f), family).Calibration.Policy;
                    var r = new DynamicRunner(ctx.Model, policy).Run(Batches(images, n, batch),
                        new DynamicRunOptions { Repeats = repeats, WarmupRuns = 2, PoolAcrossBatches = pooled });
                    speedups.Add(new SpeedupMeasurement(f, r));
                    o.WriteLine(Inv($"budget {100 * f:F0} % batch {batch}{(pooled ? " pooled" : "")}: MACs ×{r.MacSpeedup:F2}, measured ×{r.MeasuredSpeedup:F2} (ratio {r.SpeedupEfficiency:F2}), accuracy {100 * r.Accuracy:F2} % on {r.Samples}"));
                }
            }
        }

        AnytimeRun? anytime = null;
        if (speedSamples > 0)
        {
            // Deadline: the measured batch-1 median time to the last exit, so the run shows where answers come from
            // when the full model only sometimes fits.
            var deadline = deadlineMs is double d ? TimeSpan.FromMilliseconds(d) : TimeSpan.FromSeconds(latency[0].MedianSeconds[^1]);
            var images = FirstImages(ctx.Data.Test, Math.Max(1, speedSamples / 4));
            var runner = new AnytimeRunner(ctx.Model, deadline);
            runner.WarmUp(images.Images.IndexSelect(0, [0]));
            anytime = runner.Run(Batches(images, images.Labels.Length, 64));
            o.WriteLine($"anytime {anytime}");
        }

        var data = new RunReportData
        {
            RunName = Path.GetFileName(Path.TrimEndingDirectorySeparator(ctx.Dir)),
            ModelName = ctx.Config.Model,
            Curve = curve,
            AtBudget = atBudget,
            Test = test,
            Latency = latency,
            Speedups = speedups,
            Anytime = anytime,
            Training = RunReport.ReadTrainingLog(Path.Combine(ctx.Dir, Trainer.LogFile)),
        };
        var files = RunReport.Save(data, ctx.Dir);
        o.WriteLine($"report: {files[0]}");
        o.WriteLine($"data: {string.Join(", ", files.Skip(1).Select(Path.GetFileName))}");
        return ExitCodes.Ok;
    }

    /// <summary>The first <paramref name="count"/> images of a split (fewer when it is smaller), with labels.</summary>
    private static (Tensor Images, int[] Labels) FirstImages(IBatchSource source, int count)
    {
        var imgs = new List<Tensor>();
        var labels = new List<int>();
        foreach (var b in source.GetEpoch(0))
        {
            int take = Math.Min(b.Labels.Length, count - labels.Count);
            imgs.Add(take == b.Labels.Length ? b.Images : b.Images.IndexSelect(0, [.. Enumerable.Range(0, take)]));
            labels.AddRange(b.Labels.Take(take));
            if (labels.Count >= count)
            {
                break;
            }
        }

        return (Tensor.Cat(imgs), [.. labels]);
    }

    private static IEnumerable<(Tensor, int[]?)> Batches((Tensor Images, int[] Labels) data, int count, int batch)
    {
        for (int s = 0; s < count; s += batch)
        {
            int[] rows = [.. Enumerable.Range(s, Math.Min(batch, count - s))];
            yield return (data.Images.IndexSelect(0, rows), rows.Select(r => data.Labels[r]).ToArray());
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
