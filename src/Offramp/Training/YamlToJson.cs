using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Offramp.Training;

/// <summary>
/// Turns a YAML document into a JSON tree with the YAML 1.2 core schema's typing of plain scalars: null
/// (<c>~</c>, <c>null</c>, empty), booleans (<c>true</c>/<c>false</c>), integers (decimal, <c>0x</c>, <c>0o</c>) and
/// floats; quoted scalars stay strings. Duplicate keys, tags, several documents and non-scalar keys are errors.
/// </summary>
internal static partial class YamlToJson
{
    public static JsonNode? Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException(source, null, $"is not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {Inner(e).Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(source, null, $"is not valid YAML: {e.Message}", e);
        }

        if (stream.Documents.Count > 1)
        {
            throw new ConfigException(source, null, $"holds {stream.Documents.Count} YAML documents; a config is one");
        }

        return stream.Documents.Count == 0 ? new JsonObject() : Convert(stream.Documents[0].RootNode, source, "");
    }

    private static Exception Inner(Exception e) => e.InnerException is { } i ? Inner(i) : e;

    private static JsonNode? Convert(YamlNode node, string source, string path)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                    {
                        throw new ConfigException(source, null, $"line {k.Start.Line}: keys must be plain names");
                    }

                    var childPath = path.Length == 0 ? key : path + "." + key;
                    if (o.ContainsKey(key))
                    {
                        throw new ConfigException(source, childPath, $"appears twice (line {k.Start.Line})");
                    }

                    o[key] = Convert(v, source, childPath);
                }

                return o;
            case YamlSequenceNode seq:
                var a = new JsonArray();
                foreach (var item in seq.Children)
                {
                    a.Add(Convert(item, source, path));
                }

                return a;
            case YamlScalarNode s:
                return Scalar(s, source, path);
            default:
                throw new ConfigException(source, path.Length == 0 ? null : path, $"line {node.Start.Line}: unsupported YAML node");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode s, string source, string path)
    {
        var v = s.Value ?? "";
        string? tag = s.Tag.IsEmpty ? null : s.Tag.Value;
        if (tag is not null && tag != "!" && tag != "tag:yaml.org,2002:str")
        {
            throw new ConfigException(source, path, $"line {s.Start.Line}: YAML tags like {tag} are not supported");
        }

        if (s.Style != ScalarStyle.Plain || tag is not null)
        {
            return JsonValue.Create(v);
        }

        var inv = CultureInfo.InvariantCulture;
        if (v is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (v is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(v[0] is 't' or 'T');
        }

        if (IntPattern().IsMatch(v))
        {
            if (long.TryParse(v, NumberStyles.AllowLeadingSign, inv, out long l))
            {
                return JsonValue.Create(l);
            }

            if (ulong.TryParse(v.TrimStart('+'), NumberStyles.None, inv, out ulong u))
            {
                return JsonValue.Create(u);
            }

            return JsonValue.Create(double.Parse(v, inv)); // too large for any integer type: a range error later
        }

        if (v.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(v[2..], NumberStyles.AllowHexSpecifier, inv, out long hex) && hex >= 0)
        {
            return JsonValue.Create(hex);
        }

        if (v.StartsWith("0o", StringComparison.Ordinal) && v.Length > 2 && v[2..].All(c => c is >= '0' and <= '7'))
        {
            return JsonValue.Create(System.Convert.ToInt64(v[2..], 8));
        }

        if (FloatPattern().IsMatch(v))
        {
            return JsonValue.Create(double.Parse(v, inv));
        }

        return JsonValue.Create(v);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    // YAML 1.2 core schema float (without .inf/.nan, which a config never needs and JSON cannot hold).
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
