using System.CommandLine;
using System.Text.Json.Nodes;
using Offramp.Data;
using Offramp.Engine;
using Offramp.Inference;

namespace Offramp.Cli.Commands;

/// <summary>
/// <c>offramp predict</c>: answers PNG images and IDX image files with real early exit — thresholds from a file,
/// thresholds calibrated for a budget on the run's held-out split, or a wall-clock deadline per image — one JSON line
/// per image: label, confidence, exit taken, MACs spent.
/// </summary>
internal static class PredictCommand
{
    public static Command Build(Option<int?> threads)
    {
        var cmd = new Command("predict", "Classify PNG images or IDX image files with early exit; one JSON line per image " +
            "(label, confidence, exit, MACs). Without --thresholds/--budget/--deadline-ms, RUN/thresholds.json is used.");
        var run = new Option<DirectoryInfo>("--run", "-r") { Description = "Run directory (from `offramp train`)", Required = true, HelpName = "DIR" };
        var thresholds = new Option<FileInfo?>("--thresholds", "-t") { Description = "Thresholds file (from `offramp calibrate`), checked against the model", HelpName = "FILE" };
        var budget = new Option<string?>("--budget", "-b") { Description = BudgetOption.Help + "; calibrated on the run's held-out split", HelpName = "B" };
        var deadline = new Option<double?>("--deadline-ms") { Description = "Anytime mode: per image, the latest exit finished within this many milliseconds answers (after one untimed warm-up pass)", HelpName = "MS" };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch in dynamic mode [64]", DefaultValueFactory = _ => 64 };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write the JSON lines to FILE instead of stdout", HelpName = "FILE" };
        var weights = new Option<FileInfo?>("--weights") { Description = "Weights file [RUN/model.safetensors, else the latest checkpoint]", HelpName = "FILE" };
        var inputs = new Argument<string[]>("INPUT") { Description = "PNG files and/or IDX image files (N, 28, 28)", Arity = ArgumentArity.OneOrMore };
        foreach (var o in new Option[] { run, thresholds, budget, deadline, batch, output, weights })
        {
            cmd.Options.Add(o);
        }

        cmd.Arguments.Add(inputs);
        var keys = ConfigOptions.AddTo(cmd, k => k.Name is "data_dir");
        cmd.SetAction(parse => InferenceGuard.Run(() =>
        {
            var t = parse.GetValue(thresholds);
            var b = parse.GetValue(budget);
            var d = parse.GetValue(deadline);
            if (t is not null && b is not null)
            {
                throw new UsageException("give --thresholds or --budget, not both");
            }

            if (d is { } ms && !(ms > 0 && double.IsFinite(ms)))
            {
                throw new UsageException($"--deadline-ms must be a positive number of milliseconds, got {ms}");
            }

            if (parse.GetValue(batch) < 1)
            {
                throw new UsageException("--batch-size must be at least 1");
            }

            var budgetValue = b is null ? (Budget?)null : BudgetOption.Parse(b);
            var ctx = RunContext.Open(parse.GetValue(run)!.FullName, parse.GetValue(weights)?.FullName, ConfigOptions.Overrides(parse, keys, threads));
            var policy = Policy(ctx, t?.FullName, budgetValue, d is null);
            var outFile = parse.GetValue(output)?.FullName;
            using var writer = outFile is null ? null : new StreamWriter(outFile) { NewLine = "\n" };
            var o = writer ?? Console.Out;
            int count = d is { } deadlineMs
                ? RunAnytime(ctx, policy, TimeSpan.FromMilliseconds(deadlineMs), parse.GetValue(inputs)!, o)
                : RunDynamic(ctx, policy!, parse.GetValue(batch), parse.GetValue(inputs)!, o);
            if (outFile is not null)
            {
                Console.Out.WriteLine($"{count} predictions: {outFile}");
            }

            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static IExitPolicy? Policy(RunContext ctx, string? thresholdsPath, Budget? budget, bool required)
    {
        if (budget is { } b)
        {
            var held = ctx.HeldOutLogits(Console.Error);
            var r = new ThresholdCalibrator(held).ForBudget(b, ctx.Family("msdnet"));
            Console.Error.WriteLine($"calibrated for {b}: {r.Calibration}");
            return r.Calibration.Policy;
        }

        var path = thresholdsPath ?? Path.Combine(ctx.Dir, RunContext.ThresholdsFileName);
        if (thresholdsPath is null && !File.Exists(path))
        {
            return required
                ? throw new UsageException($"no thresholds: give --thresholds FILE, --budget B or --deadline-ms D, or run `offramp calibrate --run {ctx.Dir} --budget B` first")
                : null;
        }

        return ThresholdsFile.Load(path, ctx.Identity).Policy;
    }

    private static int RunDynamic(RunContext ctx, IExitPolicy policy, int batchSize, string[] paths, TextWriter o)
    {
        var runner = new DynamicRunner(ctx.Model, policy);
        int count = 0;
        foreach (var chunk in PredictInputs.Read(paths, ctx.Model.InputShape, Normalization(ctx)).Chunk(batchSize))
        {
            var answers = runner.RunBatch(Tensor.Cat([.. chunk.Select(c => c.Image)]));
            for (int i = 0; i < chunk.Length; i++)
            {
                var line = Line(ctx, chunk[i], answers.Prediction[i], answers.Confidence[i], answers.Exit[i], ctx.Model.Exits[answers.Exit[i]].Macs);
                o.WriteLine(line.ToJsonString());
                count++;
            }
        }

        return count;
    }

    private static int RunAnytime(RunContext ctx, IExitPolicy? policy, TimeSpan deadline, string[] paths, TextWriter o)
    {
        var runner = new AnytimeRunner(ctx.Model, deadline, policy: policy);
        int count = 0, met = 0;
        foreach (var input in PredictInputs.Read(paths, ctx.Model.InputShape, Normalization(ctx)))
        {
            if (count == 0)
            {
                // One untimed pass first: the deadline measures the model, not the JIT compiling it.
                runner.WarmUp(input.Image);
            }

            var a = runner.Predict(input.Image);
            var line = Line(ctx, input, a.Prediction, a.Confidence, a.Exit, a.MacsSpent);
            line["deadline_met"] = a.DeadlineMet;
            line["elapsed_ms"] = a.Elapsed.TotalMilliseconds;
            o.WriteLine(line.ToJsonString());
            count++;
            met += a.DeadlineMet ? 1 : 0;
        }

        Console.Error.WriteLine($"deadline {deadline.TotalMilliseconds} ms met for {met} of {count} images");
        return count;
    }

    private static JsonObject Line(RunContext ctx, PredictInput input, int label, double confidence, int exit, long macs)
    {
        var names = ctx.Config.Dataset == "fashion-mnist" && ctx.Model.NumClasses == FashionMnist.ClassNames.Count ? FashionMnist.ClassNames : null;
        var line = new JsonObject { ["input"] = input.Source };
        if (input.Index is int i)
        {
            line["index"] = i;
        }

        line["label"] = label;
        if (names is not null)
        {
            line["class"] = names[label];
        }

        line["confidence"] = Math.Round(confidence, 6);
        line["exit"] = exit;
        line["exit_name"] = ctx.Model.Exits[exit].Name;
        line["macs"] = macs;
        return line;
    }

    private static Normalize? Normalization(RunContext ctx) => ctx.Config.Dataset == "fashion-mnist" ? FashionMnist.Normalization : null;
}
