using System.CommandLine;
using Offramp.Data;
using Offramp.Engine;
using Offramp.Models;
using Offramp.Training;

namespace Offramp.Cli;

/// <summary><c>offramp train</c>: train a multi-exit model from a config file and/or options, or resume a run.</summary>
internal static class TrainCommand
{
    public static Command Build(Option<int?> threads)
    {
        var cmd = new Command("train", "Train a multi-exit model. Options override the config file; the effective config, " +
            "a JSON-lines log, checkpoints and the final weights go to the run directory (--out).");
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Config file (.json, .yaml or .yml)", HelpName = "FILE" };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Resume the run in DIR from its latest checkpoint (bit-identical to an uninterrupted run)", HelpName = "DIR" };
        cmd.Options.Add(config);
        cmd.Options.Add(resume);
        var keys = ConfigOptions.AddTo(cmd);
        cmd.SetAction(parse => Run(parse, parse.GetValue(config)?.FullName, parse.GetValue(resume)?.FullName,
            ConfigOptions.Overrides(parse, keys, threads)));
        return cmd;
    }

    private static int Run(ParseResult parse, string? configFile, string? resumeDir, List<KeyValuePair<string, string>> overrides)
    {
        var stdout = Console.Out;
        return Cli.Guard(() =>
        {
            TrainConfig config;
            if (resumeDir is not null)
            {
                if (configFile is not null)
                {
                    throw new ConfigException(TrainConfigLoader.CommandLine, "--config",
                        "cannot be combined with --resume: a resumed run uses its own config.json");
                }

                var saved = Path.Combine(resumeDir, Trainer.ConfigFile);
                if (!File.Exists(saved))
                {
                    throw new ConfigException(TrainConfigLoader.CommandLine, "--resume", $"{resumeDir} is not a run directory (no {Trainer.ConfigFile})");
                }

                var original = TrainConfigLoader.Load(saved);
                config = TrainConfigLoader.Load(saved, overrides) with { Out = resumeDir };
                var a = TrainConfigLoader.ToTree(original);
                foreach (var (key, value) in TrainConfigLoader.ToTree(config))
                {
                    if (!Trainer.ResumableKeys.Contains(key) && !System.Text.Json.Nodes.JsonNode.DeepEquals(value, a[key]))
                    {
                        throw new ConfigException(TrainConfigLoader.CommandLine, "--" + key.Replace('_', '-'),
                            "cannot change when resuming: the result would no longer equal an uninterrupted run");
                    }
                }
            }
            else
            {
                config = TrainConfigLoader.Load(configFile, overrides);
                if (string.IsNullOrWhiteSpace(config.Out))
                {
                    config = config with { Out = Path.Combine("runs", $"{config.Model}-s{config.Seed}") };
                }

                var checkpoints = Path.Combine(config.Out!, Checkpoint.FolderName);
                if (Directory.Exists(checkpoints) && Directory.EnumerateFileSystemEntries(checkpoints).Any())
                {
                    throw new ConfigException(TrainConfigLoader.CommandLine, "--out",
                        $"{config.Out} already holds a run: resume it with --resume {config.Out}, or choose another --out");
                }
            }

            if (config.Threads is { } t)
            {
                Parallelism.Threads = t;
            }

            var data = CliServices.CreateData(config);
            var model = Cli.CreateModel(config, data.Train);
            var observer = new ConsoleTrainingObserver(stdout, [.. model.Exits.Select(e => e.Name)]);
            var trainer = new Trainer(model, config, data.Train, data.HeldOut, data.Test, observer);
            stdout.WriteLine($"run {trainer.RunDir}: {config.Model} ({model.ParameterCount():N0} parameters, {model.Exits.Count} exits), " +
                $"{data.Train.Count} training samples, {data.Train.BatchesPerEpoch} steps/epoch, {Parallelism.Threads} threads");
            if (resumeDir is not null)
            {
                var from = trainer.Resume();
                stdout.WriteLine($"resumed from {from} (epoch {trainer.Epoch + 1}, step {trainer.GlobalStep})");
            }

            var log = trainer.Run();
            if (log.Count > 0 && log[^1] is { } last)
            {
                var summary = "done: " + (last.Test is { } t2 ? "test acc% " + observer.Accuracies(t2) : $"train loss {last.TrainLoss:F4}");
                stdout.WriteLine(summary);
            }

            stdout.WriteLine($"weights: {Path.Combine(trainer.RunDir, Trainer.FinalModelFile)}");
            return ExitCodes.Ok;
        });
    }
}
