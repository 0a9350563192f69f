using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Offramp.Engine;
using Offramp.Training;

using Offramp.Engine.IO;

namespace Offramp.Cli;

/// <summary><c>offramp eval</c>: accuracy and loss of every exit of a trained run on the held-out split and the test set.</summary>
internal static class EvalCommand
{
    public static Command Build(Option<int?> threads)
    {
        var cmd = new Command("eval", "Evaluate every exit of a trained run on its held-out split and the test set.");
        var run = new Option<DirectoryInfo>("--run", "-r") { Description = "Run directory (from `offramp train`)", Required = true, HelpName = "DIR" };
        var weights = new Option<FileInfo?>("--weights") { Description = "Weights file [RUN/model.safetensors, else the latest checkpoint]", HelpName = "FILE" };
        var ema = new Option<bool>("--ema") { Description = "Use the EMA weights" };
        var split = new Option<string>("--split") { Description = "heldout, test or all [all]", DefaultValueFactory = _ => "all" };
        split.AcceptOnlyFromAmong("heldout", "test", "all");
        var json = new Option<FileInfo?>("--json") { Description = "Also write the results as JSON", HelpName = "FILE" };
        cmd.Options.Add(run);
        cmd.Options.Add(weights);
        cmd.Options.Add(ema);
        cmd.Options.Add(split);
        cmd.Options.Add(json);
        var keys = ConfigOptions.AddTo(cmd, k => k.Name is "data_dir" or "eval_batch_size");
        cmd.SetAction(parse => Cli.Guard(() => Run(parse.GetValue(run)!.FullName, parse.GetValue(weights)?.FullName, parse.GetValue(ema),
            parse.GetValue(split)!, parse.GetValue(json)?.FullName, ConfigOptions.Overrides(parse, keys, threads))));
        return cmd;
    }

    private static int Run(string runDir, string? weights, bool ema, string split, string? jsonPath, List<KeyValuePair<string, string>> overrides)
    {
        var config = Cli.OpenRunConfig(runDir, overrides);
        if (ema && config.EmaDecay is null && weights is null)
        {
            throw new UsageException($"--ema: the run {runDir} was trained without EMA");
        }

        weights ??= Cli.FindRunWeights(runDir, ema);
        var data = CliServices.CreateData(config);
        var model = Cli.CreateModel(config, data.Train);
        Cli.LoadWeights(model, weights);
        var summary = new EvalSummary { Run = runDir, Weights = weights, ExitMacs = model.Exits.ToDictionary(e => e.Name, e => e.Macs) };
        if (split is "heldout" or "all")
        {
            summary.Heldout = data.HeldOut is null ? null : Evaluator.Evaluate(model, data.HeldOut);
        }

        if (split is "test" or "all")
        {
            summary.Test = Evaluator.Evaluate(model, data.Test);
        }

        var o = Console.Out;
        o.WriteLine($"{config.Model} from {weights}");
        o.WriteLine($"{"exit",-12} {"MACs",14} {"held-out acc%",14} {"test acc%",10}");
        foreach (var e in model.Exits)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Name,-12} {e.Macs,14:N0} {Pct(summary.Heldout, e.Name),14} {Pct(summary.Test, e.Name),10}"));
        }

        if (jsonPath is not null)
        {
            AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(summary, TrainJsonContext.Default.EvalSummary) + "\n");
            o.WriteLine($"results: {jsonPath}");
        }

        return ExitCodes.Ok;
    }

    private static string Pct(EvalReport? r, string exit) =>
        r is null ? "-" : (100 * r.ExitAcc[exit]).ToString("F2", CultureInfo.InvariantCulture);
}
