using System.CommandLine;
using System.Globalization;
using Offramp.Models;

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

            var (extraMap, exits, error) = ParseShapeOptions(r.GetValue(extra), r.GetValue(exitAfter));
            if (error is not null)
            {
                Console.Error.WriteLine($"offramp models: {error}");
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
                    model = m.Create(new ModelOptions
                    {
                        InputShape = shape, NumClasses = shape[1] == 224 ? 1000 : 10, WidthMultiplier = r.GetValue(width),
                        Head = r.GetValue(head), ExitAfter = exits, Extra = extraMap,
                    });
                }
                catch (ArgumentException e)
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

    /// <summary>Parses <c>--model-extra</c> (key=value,…) and <c>--exit-after</c> (integers, comma-separated).</summary>
    private static (Dictionary<string, string> Extra, int[]? ExitAfter, string? Error) ParseShapeOptions(
        string? extra, string? exitAfter)
    {
        var map = new Dictionary<string, string>();
        foreach (var pair in (extra ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return (map, null, $"--model-extra expects key=value pairs separated by commas, got '{pair}'");
            }

            map[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }

        if (exitAfter is null)
        {
            return (map, null, null);
        }

        var parts = exitAfter.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out list[i]))
            {
                return (map, null, $"--exit-after expects integers separated by commas, got '{exitAfter}'");
            }
        }

        return (map, list, null);
    }
}
