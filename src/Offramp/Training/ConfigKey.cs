using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Offramp.Training;

/// <summary>The value type of a config key.</summary>
public enum ConfigValueKind
{
    /// <summary>Text.</summary>
    String,

    /// <summary>A 32-bit integer.</summary>
    Int,

    /// <summary>An unsigned 64-bit integer (seeds).</summary>
    UInt64,

    /// <summary>A finite number.</summary>
    Double,

    /// <summary>true or false.</summary>
    Bool,

    /// <summary>A list of integers (<c>1,2,3</c> on the command line).</summary>
    IntList,

    /// <summary>A mapping of strings (<c>a=1,b=2</c> on the command line).</summary>
    StringMap,

    /// <summary>An exit weighting: a scheme name or a list of numbers.</summary>
    ExitWeights,
}

/// <summary>One key of <see cref="TrainConfig"/>: its file name, command-line name, type and help.</summary>
/// <param name="Name">snake_case name used in files (<c>batch_size</c>).</param>
/// <param name="Kind">Value type.</param>
/// <param name="Nullable">Whether null (unset) is allowed.</param>
public sealed record ConfigKey(string Name, ConfigValueKind Kind, bool Nullable)
{
    /// <summary>The command-line option (<c>--batch-size</c>).</summary>
    public string Option => "--" + Name.Replace('_', '-');

    /// <summary>One line of help, with the value type.</summary>
    public string Help => (ConfigHelp.Text.TryGetValue(Name, out var h) ? h : Name) + Kind switch
    {
        ConfigValueKind.IntList => " (comma-separated integers)",
        ConfigValueKind.StringMap => " (key=value,key=value)",
        _ => "",
    };

    internal static ConfigValueKind KindOf(Type t)
    {
        t = System.Nullable.GetUnderlyingType(t) ?? t;
        return t == typeof(string) ? ConfigValueKind.String
            : t == typeof(int) ? ConfigValueKind.Int
            : t == typeof(ulong) ? ConfigValueKind.UInt64
            : t == typeof(double) ? ConfigValueKind.Double
            : t == typeof(bool) ? ConfigValueKind.Bool
            : t == typeof(int[]) ? ConfigValueKind.IntList
            : t == typeof(Dictionary<string, string>) ? ConfigValueKind.StringMap
            : t == typeof(ExitWeighting) ? ConfigValueKind.ExitWeights
            : throw new NotSupportedException($"config key type {t.Name} has no ConfigValueKind");
    }

    /// <summary>Checks a value from a file; scalars in a string map are turned into strings in place.</summary>
    /// <exception cref="ConfigException">The value does not have this key's type.</exception>
    public void CheckNode(JsonNode? node, string source)
    {
        if (node is null)
        {
            if (!Nullable)
            {
                throw new ConfigException(source, Name, $"cannot be null; it expects {Expected}");
            }

            return;
        }

        bool ok = Kind switch
        {
            ConfigValueKind.String => IsKind(node, JsonValueKind.String),
            ConfigValueKind.Int => IsInteger(node, int.MinValue, int.MaxValue),
            ConfigValueKind.UInt64 => IsInteger(node, 0, ulong.MaxValue),
            ConfigValueKind.Double => IsKind(node, JsonValueKind.Number)
                && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d),
            ConfigValueKind.Bool => node is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            ConfigValueKind.IntList => node is JsonArray a && a.All(x => x is not null && IsInteger(x, int.MinValue, int.MaxValue)),
            ConfigValueKind.StringMap => node is JsonObject o && o.All(p => p.Value is JsonValue),
            ConfigValueKind.ExitWeights => IsKind(node, JsonValueKind.String)
                || (node is JsonArray w && w.All(x => x is not null && IsKind(x, JsonValueKind.Number))),
            _ => false,
        };
        if (!ok)
        {
            throw new ConfigException(source, Name, $"expects {Expected}, got {TrainConfigLoader.Describe(node)}");
        }

        if (node is JsonObject map && Kind == ConfigValueKind.StringMap)
        {
            foreach (var name in map.Select(p => p.Key).ToList())
            {
                var v = map[name]!.AsValue();
                if (v.GetValueKind() != JsonValueKind.String)
                {
                    map[name] = v.ToJsonString();
                }
            }
        }
    }

    /// <summary>Converts a command-line string to a value of this key's type.</summary>
    /// <exception cref="ConfigException">The text is not a value of this type.</exception>
    public JsonNode? Convert(string text, string source)
    {
        var t = text.Trim();
        if (Nullable && t is "null" or "none")
        {
            return null;
        }

        var inv = CultureInfo.InvariantCulture;
        JsonNode? r = Kind switch
        {
            ConfigValueKind.String => JsonValue.Create(text),
            ConfigValueKind.Int => int.TryParse(t, NumberStyles.Integer, inv, out int i) ? JsonValue.Create(i) : null,
            ConfigValueKind.UInt64 => ulong.TryParse(t, NumberStyles.None, inv, out ulong u) ? JsonValue.Create(u) : null,
            ConfigValueKind.Double => double.TryParse(t, NumberStyles.Float, inv, out double d) && double.IsFinite(d) ? JsonValue.Create(d) : null,
            ConfigValueKind.Bool => t is "true" or "false" ? JsonValue.Create(t == "true") : null,
            ConfigValueKind.IntList => ParseList(t),
            ConfigValueKind.StringMap => ParseMap(t),
            ConfigValueKind.ExitWeights => JsonValue.Create(t),
            _ => null,
        };
        return r ?? throw new ConfigException(source, Option, $"expects {Expected}, got '{text}'");
    }

    private string Expected => Kind switch
    {
        ConfigValueKind.String => "a string",
        ConfigValueKind.Int => "an integer",
        ConfigValueKind.UInt64 => "an integer >= 0",
        ConfigValueKind.Double => "a finite number",
        ConfigValueKind.Bool => "true or false",
        ConfigValueKind.IntList => "a list of integers",
        ConfigValueKind.StringMap => "a mapping of names to values",
        _ => "equal, increasing, final2 or a list of numbers",
    } + (Nullable ? " or null" : "");

    private static bool IsKind(JsonNode node, JsonValueKind kind) => node is JsonValue v && v.GetValueKind() == kind;

    private static bool IsInteger(JsonNode node, decimal min, decimal max) =>
        IsKind(node, JsonValueKind.Number) && decimal.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
        && d == decimal.Truncate(d) && d >= min && d <= max;

    private static JsonArray? ParseList(string t)
    {
        var a = new JsonArray();
        if (t.Length == 0)
        {
            return a;
        }

        foreach (var part in t.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            {
                return null;
            }

            a.Add(v);
        }

        return a;
    }

    private static JsonObject? ParseMap(string t)
    {
        var o = new JsonObject();
        foreach (var part in t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || o.ContainsKey(part[..eq]))
            {
                return null;
            }

            o[part[..eq]] = part[(eq + 1)..];
        }

        return o;
    }
}
