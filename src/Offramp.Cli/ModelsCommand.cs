using System.CommandLine;
using System.Globalization;
using Offramp.Models;
using Offramp.Training;

namespace Offramp.Cli;

/// <summary>
/// <c>offramp models</c>: the registered models (the names <c>--model</c> accepts) with their parameter count and
/// the cumulative MACs per sample of every exit, for a chosen input (Fashion-MNIST 1×28×28 by default).
/// </summary>
internal static class ModelsCommand
{
    public static Command Build()
    {
        var cmd = new Command("models", "List the registered models (the names --model accepts) with parameters and MACs per exit.");
        var name = new Option<string?>("--model") { Description = "Show only this model" };
        var input = new Option<string>("--input")
        {
            Description = "Input the costs are counted for: fm (1x28x28), c10 (3x32x32) or in224 (3x224x224)",
            DefaultValueFactory = _ => "fm",
        };
        var width = new Option<double>("--width-multiplier") { Description = "Backbone width multiplier", DefaultValueFactory = _ => 1.0 };
        var brief = new Option<bool>("--names-only") { Description = "Only list names and descriptions (no model is built)" };
        var head = new Option<string?>("--head") { Description = "Exit head kind, e.g. linear or sdn [family default]" };
        var exitAfter = new Option<string?>("--exit-after") { Description = "Blocks after which exits sit, comma-separated [family default]" };
        var extra = new Option<string?>("--model-extra") { Description = "Family-specific model options (key=value,key=value), as train takes them" };
        cmd.Options.Add(name);
        cmd.Options.Add(input);
        cmd.Options.Add(width);
        cmd.Options.Add(brief);
        cmd.Options.Add(head);
        cmd.Options.Add(exitAfter);
        cmd.Options.Add(extra);
        cmd.SetAction(r =>
        {
            int[]? shape = r.GetValue(input) switch
            {
                "fm" => [1, 28, 28],
                "c10" => [3, 32, 32],
                "in224" => [3, 224, 224],
                _ => null,
            };
            if (shape is null)
            {
                Console.Error.WriteLine($"offramp models: unknown --input '{r.GetValue(input)}' (fm, c10 or in224)");
                return ExitCodes.Usage;
            }

            var entries = ModelRegistry.All.Where(m => r.GetValue(name) is not { } n || string.Equals(n, m.Name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (entries.Count == 0)
            {
                Console.Error.WriteLine($"offramp models: no registered model is named '{r.GetValue(name)}'; known: {string.Join(", ", ModelRegistry.All.Select(m => m.Name))}");
                return ExitCodes.Usage;
            }

            foreach (var m in entries)
            {
                Console.WriteLine($"{m.Name,-12} {m.Family,-14} {m.Description}");
                if (r.GetValue(brief))
                {
                    continue;
                }

                MultiExitModel model;
                try
                {
                    // The same keys, parsing and checks as `train` (model_extra, exit_after, head, width_multiplier).
                    var overrides = new List<KeyValuePair<string, string>>
                    {
                        new("model", m.Name),
                        new("width_multiplier", r.GetValue(width).ToString(CultureInfo.InvariantCulture)),
                    };
                    foreach (var (key, option) in new[] { ("head", head), ("exit_after", exitAfter), ("model_extra", extra) })
                    {
                        if (r.GetValue(option) is { } v)
                        {
                            overrides.Add(new(key, v));
                        }
                    }

                    var config = TrainConfigLoader.Load(null, overrides);
                    model = m.Create(config.ModelOptions(shape[1] == 224 ? 1000 : 10, shape));
                }
                catch (Exception e) when (e is ArgumentException or ConfigException)
                {
                    Console.Error.WriteLine($"offramp models: {m.Name}: {e.Message}");
                    return ExitCodes.Usage;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {model.ParameterCount():N0} parameters; input {string.Join("x", shape)}; cumulative MACs per sample:"));
                foreach (var e in model.Exits)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      exit {e.Index} {e.Name,-12} {e.Macs / 1e6,12:N2} M"));
                }
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
