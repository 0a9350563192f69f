using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

using Offramp.Engine.IO;

namespace Offramp.Training;

/// <summary>
/// Reads a <see cref="TrainConfig"/> from a JSON or YAML file plus command-line overrides, strictly: an unknown key,
/// a value of the wrong type or out of range is a <see cref="ConfigException"/> naming the file and the key.
/// </summary>
/// <remarks>
/// <para>Both formats become one JSON tree (YAML plain scalars are typed by the YAML 1.2 core schema: <c>true</c>,
/// <c>12</c>, <c>1e-3</c>, <c>null</c>; quoted scalars stay strings), every key is checked against the record's
/// keys and types, command-line values (strings) are converted with the key's type and replace the file's, and the
/// tree is bound and validated once.</para>
/// </remarks>
public static class TrainConfigLoader
{
    private static JsonTypeInfo<TrainConfig> Info => TrainJsonContext.Default.TrainConfig;

    /// <summary>The source name of command-line values in messages.</summary>
    public const string CommandLine = "command line";

    /// <summary>Every key a config may set, in declaration order.</summary>
    public static IReadOnlyList<ConfigKey> Keys { get; } =
        [.. Info.Properties.Select(p => new ConfigKey(p.Name, ConfigKey.KindOf(p.PropertyType), p.IsSetNullable))];

    /// <summary>Loads and validates a config.</summary>
    /// <param name="path">A <c>.json</c>, <c>.yaml</c> or <c>.yml</c> file, or null for defaults only.</param>
    /// <param name="overrides">(key, value) pairs from the command line; keys in snake_case; they win over the file.</param>
    /// <exception cref="ConfigException">The file is missing or malformed, or a key or value is invalid.</exception>
    public static TrainConfig Load(string? path, IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        var tree = path is null ? [] : ReadFile(path);
        string fileSource = path ?? CommandLine;
        Check(tree, fileSource);
        var fromCli = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in overrides ?? [])
        {
            var k = Find(key, CommandLine);
            tree[k.Name] = k.Convert(value, CommandLine);
            fromCli.Add(k.Name);
        }

        try
        {
            return Bind(tree, fileSource);
        }
        catch (ConfigException e) when (e.Key is not null && fromCli.Contains(e.Key))
        {
            throw new ConfigException(CommandLine, "--" + e.Key.Replace('_', '-'), e.Reason ?? e.Message, e);
        }
    }

    /// <summary>Binds a checked tree to the record and validates it.</summary>
    /// <exception cref="ConfigException">A value is invalid.</exception>
    public static TrainConfig Bind(JsonObject tree, string source)
    {
        Check(tree, source);
        TrainConfig config;
        try
        {
            config = tree.Deserialize(Info) ?? throw new ConfigException(source, null, "is empty");
        }
        catch (JsonException e)
        {
            var key = e.Path is { Length: > 2 } p ? p[2..].Split('.', '[')[0] : null;
            throw new ConfigException(source, key, e.Message, e);
        }

        config.Validate(source);
        return config;
    }

    /// <summary>Parses a JSON or YAML file (by extension) into a tree whose root is an object.</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable, not an object, or malformed (the message
    /// gives the line).</exception>
    public static JsonObject ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, null, $"cannot be read: {e.Message}", e);
        }

        var ext = Path.GetExtension(path).ToLowerInvariant();
        JsonNode? root = ext switch
        {
            ".json" => ParseJson(text, path),
            ".yaml" or ".yml" => YamlToJson.Parse(text, path),
            _ => throw new ConfigException(path, null, "is neither .json nor .yaml/.yml"),
        };
        return root as JsonObject
            ?? throw new ConfigException(path, null, $"must hold a mapping of keys to values, not {Describe(root)}");
    }

    /// <summary>The config as indented JSON with every key (the format of <c>config.json</c>).</summary>
    public static string ToJson(TrainConfig config) => JsonSerializer.Serialize(config, Info);

    /// <summary>The config as a JSON tree (every key).</summary>
    public static JsonObject ToTree(TrainConfig config) => (JsonObject)JsonSerializer.SerializeToNode(config, Info)!;

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(TrainConfig config, string path) => AtomicFile.WriteAllText(path, ToJson(config) + "\n");

    /// <summary>The key named <paramref name="name"/> (snake_case, or kebab-case with or without <c>--</c>).</summary>
    /// <exception cref="ConfigException">No such key; the message suggests the closest one.</exception>
    public static ConfigKey Find(string name, string source)
    {
        var n = name.TrimStart('-').Replace('-', '_');
        return Keys.FirstOrDefault(k => k.Name == n)
            ?? throw new ConfigException(source, source == CommandLine ? "--" + n.Replace('_', '-') : name, UnknownReason(n));
    }

    private static void Check(JsonObject tree, string source)
    {
        foreach (var (key, node) in tree)
        {
            var k = Keys.FirstOrDefault(x => x.Name == key) ?? throw new ConfigException(source, key, UnknownReason(key));
            k.CheckNode(node, source);
        }
    }

    private static string UnknownReason(string key)
    {
        var best = Keys.MinBy(k => Distance(k.Name, key))!;
        var hint = Distance(best.Name, key) <= Math.Max(2, key.Length / 3) ? $" (did you mean '{best.Name}'?)" : "";
        return $"is not a training option{hint}; `offramp train --help` lists them";
    }

    private static JsonNode? ParseJson(string text, string path)
    {
        try
        {
            return JsonNode.Parse(text, null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new ConfigException(path, null, $"is not valid JSON: {e.Message}", e);
        }
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "a mapping",
        JsonArray => "a list",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"the string \"{v.GetValue<string>()}\"",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
        _ => $"the number {node.ToJsonString()}",
    };

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }

        return d[a.Length, b.Length];
    }

    internal static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
