using System.Text;
using System.Text.Json;

namespace Offramp.Inference;

public sealed partial class ThresholdsFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and validates a thresholds file.</summary>
    /// <exception cref="ThresholdsFileException">The file is larger than <see cref="MaxFileBytes"/>, not UTF-8 JSON,
    /// or breaks the layout (see the class remarks); the message names the file and the fault.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ThresholdsFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (fs.Length > MaxFileBytes)
        {
            throw new ThresholdsFileException($"thresholds file '{path}': {fs.Length} bytes, more than the {MaxFileBytes} accepted");
        }

        var bytes = new byte[fs.Length];
        fs.ReadExactly(bytes);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ThresholdsFileException($"thresholds file '{path}': not UTF-8", ex);
        }

        return Parse(text, path);
    }

    /// <summary>Reads a thresholds file and checks that it belongs to <paramref name="model"/>.</summary>
    /// <exception cref="ThresholdsFileException">As for <see cref="Load(string)"/>.</exception>
    /// <exception cref="ModelMismatchException">The file was made for another model (name, exits or costs differ).</exception>
    public static ThresholdsFile Load(string path, ModelIdentity model)
    {
        var f = Load(path);
        f.EnsureMatches(model, path);
        return f;
    }

    /// <summary>Parses the JSON text of a thresholds file.</summary>
    /// <param name="json">The text.</param>
    /// <param name="source">A name for error messages (the file); null for none.</param>
    /// <exception cref="ThresholdsFileException">The text is not JSON or breaks the layout.</exception>
    public static ThresholdsFile Parse(string json, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        string where = source is null ? "thresholds file" : $"thresholds file '{source}'";
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            return Read(doc.RootElement, where);
        }
        catch (JsonException ex)
        {
            throw new ThresholdsFileException($"{where}: not valid JSON: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException
            and not ThresholdsFileException)
        {
            throw new ThresholdsFileException($"{where}: {ex.Message}", ex);
        }
    }

    private static ThresholdsFile Read(JsonElement root, string where)
    {
        var top = Object(root, "the file", ["format", "version", "model", "policy", "budget", "calibration"], where);
        if (String(top["format"], "format", where) != FileFormat)
        {
            throw new ThresholdsFileException($"{where}: format '{top["format"]}', expected '{FileFormat}'");
        }

        int version = Int(top["version"], "version", where);
        if (version != FileVersion)
        {
            throw new ThresholdsFileException($"{where}: version {version}; this Offramp reads version {FileVersion}");
        }

        var model = ReadModel(top["model"], where);
        var policy = ReadPolicy(top["policy"], model, where);
        Budget? budget = null;
        double? macs = null;
        if (top["budget"].ValueKind != JsonValueKind.Null)
        {
            var b = Object(top["budget"], "budget", ["value", "is_fraction", "macs"], where);
            double v = Number(b["value"], "budget.value", where);
            budget = Bool(b["is_fraction"], "budget.is_fraction", where) ? Inference.Budget.FractionOfFullCost(v) : Inference.Budget.Macs(v);
            macs = Number(b["macs"], "budget.macs", where);
        }

        ThresholdsCalibrationInfo? cal = null;
        if (top["calibration"].ValueKind != JsonValueKind.Null)
        {
            var c = Object(top["calibration"], "calibration", ["cost", "accuracy", "samples", "generator", "p", "distribution", "histogram"], where);
            cal = new ThresholdsCalibrationInfo(
                Number(c["cost"], "calibration.cost", where),
                c["accuracy"].ValueKind == JsonValueKind.Null ? double.NaN : Number(c["accuracy"], "calibration.accuracy", where),
                Int(c["samples"], "calibration.samples", where),
                String(c["generator"], "calibration.generator", where),
                c["p"].ValueKind == JsonValueKind.Null ? null : Number(c["p"], "calibration.p", where),
                [.. Array(c["distribution"], "calibration.distribution", where).Select(e => Number(e, "calibration.distribution[]", where))],
                [.. Array(c["histogram"], "calibration.histogram", where).Select(e => Int(e, "calibration.histogram[]", where))]);
        }

        return new ThresholdsFile(model, policy, budget, macs, cal);
    }

    private static ModelIdentity ReadModel(JsonElement e, string where)
    {
        var m = Object(e, "model", ["name", "exits", "hash"], where);
        var names = new List<string>();
        var costs = new List<double>();
        foreach (var x in Array(m["exits"], "model.exits", where))
        {
            var exit = Object(x, "model.exits[]", ["name", "cost"], where);
            names.Add(String(exit["name"], "model.exits[].name", where));
            costs.Add(Number(exit["cost"], "model.exits[].cost", where));
        }

        var id = new ModelIdentity(String(m["name"], "model.name", where), names, costs);
        string hash = String(m["hash"], "model.hash", where);
        if (hash != id.Hash)
        {
            throw new ThresholdsFileException(
                $"{where}: model hash {hash} does not match the model's exits and costs (hash {id.Hash}); the file was edited or is corrupt");
        }

        return id;
    }

    private static IExitPolicy ReadPolicy(JsonElement e, ModelIdentity model, string where)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("kind", out var kindElement))
        {
            throw new ThresholdsFileException($"{where}: policy must be an object with a kind");
        }

        string kind = String(kindElement, "policy.kind", where);
        switch (kind)
        {
            case "max_softmax" or "entropy":
            {
                var p = Object(e, "policy", ["kind", "thresholds"], where);
                var t = Array(p["thresholds"], "policy.thresholds", where).Select(x => NumberOrInfinity(x, "policy.thresholds[]", where)).ToArray();
                if (t.Length != model.ExitNames.Count)
                {
                    throw new ThresholdsFileException($"{where}: {t.Length} thresholds for a model with {model.ExitNames.Count} exits");
                }

                return ThresholdPolicy.Create(kind == "entropy" ? ConfidenceMeasure.Entropy : ConfidenceMeasure.MaxSoftmax, t);
            }

            case "patience":
                return PatiencePolicy.Classification(Int(Object(e, "policy", ["kind", "patience"], where)["patience"], "policy.patience", where));
            case "patience_regression":
            {
                var p = Object(e, "policy", ["kind", "patience", "tolerance"], where);
                return PatiencePolicy.Regression(Int(p["patience"], "policy.patience", where), Number(p["tolerance"], "policy.tolerance", where));
            }

            default:
                throw new ThresholdsFileException($"{where}: unknown policy kind '{kind}' (max_softmax, entropy, patience, patience_regression)");
        }
    }

    /// <summary>The object's properties, which must be exactly <paramref name="keys"/> (no more, none missing).</summary>
    private static Dictionary<string, JsonElement> Object(JsonElement e, string what, string[] keys, string where)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new ThresholdsFileException($"{where}: {what} must be an object, not {e.ValueKind}");
        }

        var d = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (!keys.Contains(p.Name) || !d.TryAdd(p.Name, p.Value))
            {
                throw new ThresholdsFileException($"{where}: {what} has an unknown or repeated field '{p.Name}' (expected {string.Join(", ", keys)})");
            }
        }

        var missing = keys.Where(k => !d.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            throw new ThresholdsFileException($"{where}: {what} lacks {string.Join(", ", missing)}");
        }

        return d;
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string what, string where) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : throw new ThresholdsFileException($"{where}: {what} must be an array, not {e.ValueKind}");

    private static string String(JsonElement e, string what, string where) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ThresholdsFileException($"{where}: {what} must be a string, not {e.ValueKind}");

    private static bool Bool(JsonElement e, string what, string where) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ThresholdsFileException($"{where}: {what} must be true or false, not {e.ValueKind}"),
    };

    private static int Int(JsonElement e, string what, string where) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 0
            ? v
            : throw new ThresholdsFileException($"{where}: {what} must be a non-negative 32-bit integer, not {e}");

    private static double Number(JsonElement e, string what, string where) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v)
            ? v
            : throw new ThresholdsFileException($"{where}: {what} must be a finite number, not {e}");

    private static double NumberOrInfinity(JsonElement e, string what, string where) => e.ValueKind switch
    {
        JsonValueKind.String when e.GetString() == "Infinity" => double.PositiveInfinity,
        JsonValueKind.String when e.GetString() == "-Infinity" => double.NegativeInfinity,
        _ => Number(e, what, where),
    };
}
