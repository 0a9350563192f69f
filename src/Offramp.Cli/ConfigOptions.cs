using System.CommandLine;
using System.Globalization;
using Offramp.Training;

namespace Offramp.Cli;

/// <summary>One command-line option per <see cref="TrainConfig"/> key (<c>--batch-size</c> for <c>batch_size</c>).</summary>
internal static class ConfigOptions
{
    /// <summary>Adds the options (all but <c>threads</c>, which is global) and returns them with their keys.</summary>
    public static List<(ConfigKey Key, Option Option)> AddTo(Command cmd, Func<ConfigKey, bool>? include = null)
    {
        var list = new List<(ConfigKey, Option)>();
        foreach (var key in TrainConfigLoader.Keys.Where(k => k.Name != "threads" && (include?.Invoke(k) ?? true)))
        {
            string[] aliases = key.Name == "data_dir" ? ["--data"] : [];
            Option opt = key.Kind == ConfigValueKind.Bool
                ? new Option<bool?>(key.Option, aliases) { Description = key.Help, Arity = ArgumentArity.ZeroOrOne }
                : new Option<string>(key.Option, aliases) { Description = key.Help, HelpName = HelpName(key.Kind) };
            cmd.Options.Add(opt);
            list.Add((key, opt));
        }

        return list;
    }

    /// <summary>The (key, value) pairs of the options given on the command line, plus the global thread count.</summary>
    public static List<KeyValuePair<string, string>> Overrides(ParseResult parse, List<(ConfigKey Key, Option Option)> options, Option<int?> threads)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (key, opt) in options)
        {
            if (parse.GetResult(opt) is null)
            {
                continue;
            }

            string? value = opt switch
            {
                Option<bool?> b => (parse.GetValue(b) ?? true) ? "true" : "false",
                Option<string> s => parse.GetValue(s),
                _ => null,
            };
            if (value is not null)
            {
                result.Add(KeyValuePair.Create(key.Name, value));
            }
        }

        if (parse.GetValue(threads) is { } t)
        {
            result.Add(KeyValuePair.Create("threads", t.ToString(CultureInfo.InvariantCulture)));
        }

        return result;
    }

    private static string HelpName(ConfigValueKind kind) => kind switch
    {
        ConfigValueKind.Int or ConfigValueKind.UInt64 => "INT",
        ConfigValueKind.Double => "NUM",
        ConfigValueKind.IntList => "INTS",
        ConfigValueKind.StringMap => "K=V,...",
        ConfigValueKind.ExitWeights => "SCHEME|NUMS",
        _ => "TEXT",
    };
}
