using System.CommandLine;
using System.Globalization;
using Offramp.Inference;
using Offramp.Reports;
using Offramp.Training;

namespace Offramp.Cli.Commands;

/// <summary>
/// <c>offramp compare RUN RUN… --out DIR</c>: trained runs side by side (the paper's Table 3 and accuracy-vs-MACs
/// figures) — one chart overlaying every run's budgeted curve and per-exit points, one row per run, and which curve is
/// higher over the low-budget half of the common MACs range — as DIR/compare.html, compare.json and compare.csv.
/// </summary>
internal static class CompareCommand
{
    public static Command Build(Option<int?> threads)
    {
        var cmd = new Command("compare", "Compare trained runs in DIR/compare.html (+ compare.json, compare.csv): their budgeted " +
            "accuracy-vs-MACs curves on one chart, per-exit test accuracy, MACs, params, epochs and accuracy within 25/50/75 % " +
            "of the largest run's full cost, and which curve is higher over the low-budget half of the common MACs range.");
        var runs = new Argument<DirectoryInfo[]>("RUN") { Description = "Run directories (from `offramp train`), at least 2", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<DirectoryInfo>("--out", "-o") { Description = "Directory for compare.html, compare.json and compare.csv", Required = true, HelpName = "DIR" };
        var labels = new Option<string[]>("--label") { Description = "A run's label in the legend and table, once per run in order [the run directory's name]", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
        var family = new Option<string>("--family") { Description = "Exit-distribution generator of the budgeted curves: msdnet or dyn_perceiver (4-exit models) [msdnet]", DefaultValueFactory = _ => "msdnet" };
        family.AcceptOnlyFromAmong("msdnet", "dyn_perceiver");
        foreach (var o in new Option[] { outDir, labels, family })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(runs);
        var keys = ConfigOptions.AddTo(cmd, k => k.Name is "data_dir" or "eval_batch_size");
        cmd.SetAction(parse => InferenceGuard.Run(() =>
        {
            var dirs = parse.GetValue(runs) ?? [];
            if (dirs.Length < 2)
            {
                throw new UsageException($"compare needs at least 2 runs, got {dirs.Length}; for one run use `offramp report RUN`");
            }

            var given = parse.GetValue(labels) ?? [];
            if (given.Length != 0 && given.Length != dirs.Length)
            {
                throw new UsageException($"--label given {given.Length} times for {dirs.Length} runs; give one per run, in order, or none");
            }

            string[] names = given.Length != 0 ? given
                : [.. dirs.Select(d => Path.GetFileName(Path.TrimEndingDirectorySeparator(d.FullName)))];
            var dup = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null)
            {
                throw new UsageException($"two runs are labelled '{dup.Key}'; name them with --label (once per run)");
            }

            var overrides = ConfigOptions.Overrides(parse, keys, threads);
            var compared = new List<CompareRun>();
            for (int i = 0; i < dirs.Length; i++)
            {
                compared.Add(Measure(dirs[i].FullName, names[i], parse.GetValue(family)!, overrides));
            }

            var report = new CompareReport(compared);
            var files = report.Save(parse.GetValue(outDir)!.FullName);
            foreach (var p in report.Pairs)
            {
                Console.Out.WriteLine(report.Describe(p));
            }

            Console.Out.WriteLine($"report: {files[0]}");
            Console.Out.WriteLine($"data: {string.Join(", ", files.Skip(1).Select(Path.GetFileName))}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>One run's budgeted curve, computed as <c>offramp report</c> does: thresholds calibrated on the
    /// held-out split for each p of the family, evaluated on the test set (exit outputs cached in the run).</summary>
    private static CompareRun Measure(string dir, string label, string familyName, List<KeyValuePair<string, string>> overrides)
    {
        var o = Console.Out;
        var ctx = RunContext.Open(dir, null, overrides);
        var held = ctx.HeldOutLogits(o);
        var test = ctx.TestLogits(o);
        var curve = new ThresholdCalibrator(held).Sweep(ctx.Family(familyName), test);
        var log = RunReport.ReadTrainingLog(Path.Combine(ctx.Dir, Trainer.LogFile));
        var run = new CompareRun
        {
            Label = label,
            ModelName = ctx.Config.Model,
            Curve = curve,
            Parameters = ctx.Model.ParameterCount(),
            Epochs = log.Count > 0 ? log.Max(e => e.Epoch) : ctx.Config.Epochs,
            TestSamples = test.Samples,
        };
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: {run.ModelName}, {curve.Anytime.Count} exits, full {curve.FullCost / 1e6:G4} MMACs, {run.Parameters:N0} parameters, {run.Epochs} epochs, final exit {100 * curve.Anytime[^1].Accuracy:F2} % on {test.Samples} test samples"));
        return run;
    }
}
