using System.Text.Json;
using Offramp.Engine;
using Offramp.Engine.IO;

namespace Offramp.Inference;

public sealed partial class ExitLogits
{
    /// <summary>The <c>format</c> metadata value of an exit-logits file.</summary>
    public const string FileFormat = "offramp.exit_logits";

    private const string FileVersion = "1";

    /// <summary>
    /// Writes the set as a safetensors file (atomically: readers see the old file or the new one), readable by
    /// <see cref="Load"/> and by <c>safetensors.torch.load_file</c>.
    /// </summary>
    /// <remarks>Tensors: <c>outputs</c> F32 (E, N, K); <c>costs</c> F64 (E); <c>labels</c> I64 (N) when labelled.
    /// Metadata: <c>format</c> = <see cref="FileFormat"/>, <c>version</c> = 1, <c>kind</c> = <c>logits</c> or
    /// <c>probabilities</c>, <c>model</c>, <c>exit_names</c> (a JSON array of strings).</remarks>
    /// <exception cref="IOException">The file cannot be written; <paramref name="path"/> is then left untouched.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var entries = new List<SafetensorsEntry>
        {
            SafetensorsEntry.FromTensor("outputs", Tensor.FromArray(_values, Exits, Samples, Classes)),
            SafetensorsEntry.FromTensor("costs", Tensor.FromArray(_costs, Exits)),
        };
        if (_labels is not null)
        {
            entries.Add(SafetensorsEntry.FromInt64("labels", [.. _labels.Select(l => (long)l)], Samples));
        }

        var metadata = new Dictionary<string, string>
        {
            ["format"] = FileFormat,
            ["version"] = FileVersion,
            ["kind"] = IsProbabilities ? "probabilities" : "logits",
            ["model"] = ModelName,
            ["exit_names"] = JsonSerializer.Serialize(_exitNames, ExitNamesJson.Default.StringArray),
        };
        Safetensors.Write(path, entries, metadata);
    }

    /// <summary>Reads a file written by <see cref="Save"/>, checking every rule before returning anything.</summary>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors, or is not an exit-logits file:
    /// a missing or unknown tensor or metadata value, a wrong dtype or shape, a non-finite output, a label outside
    /// [0, K), costs that are not cumulative. The message names the file and the fault.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ExitLogits Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = Safetensors.Read(path);
        string Fail(string reason) => throw new SafetensorsFormatException(path, null, reason);

        var meta = file.Metadata ?? new Dictionary<string, string>();
        string Meta(string key) => meta.TryGetValue(key, out var v) ? v : Fail($"metadata '{key}' missing (not an {FileFormat} file?)");
        if (Meta("format") != FileFormat || Meta("version") != FileVersion)
        {
            Fail($"metadata format '{Meta("format")}' version '{Meta("version")}', expected '{FileFormat}' version '{FileVersion}'");
        }

        string kind = Meta("kind");
        if (kind is not ("logits" or "probabilities"))
        {
            Fail($"metadata kind '{kind}', expected 'logits' or 'probabilities'");
        }

        var unknown = file.Names.Except(["outputs", "costs", "labels"]).ToList();
        if (unknown.Count > 0)
        {
            Fail($"unexpected tensors [{string.Join(", ", unknown)}]");
        }

        var outputs = Entry(file, "outputs", SafetensorsDType.F32, 3, path);
        int[] s = outputs.Shape;
        var costs = Entry(file, "costs", SafetensorsDType.F64, 1, path);
        if (costs.Shape[0] != s[0])
        {
            Fail($"costs {Shape.Format(costs.Shape)} do not match outputs {Shape.Format(s)}");
        }

        long[]? labels = null;
        if (file.Contains("labels"))
        {
            var l = Entry(file, "labels", SafetensorsDType.I64, 1, path);
            if (l.Shape[0] != s[1])
            {
                Fail($"labels {Shape.Format(l.Shape)} do not match outputs {Shape.Format(s)}");
            }

            labels = l.ToInt64Array();
            int bad = Array.FindIndex(labels, v => v < 0 || v >= s[2]);
            if (bad >= 0)
            {
                Fail($"label {labels[bad]} of sample {bad} outside [0, {s[2]})");
            }
        }

        string[]? names;
        try
        {
            names = JsonSerializer.Deserialize(Meta("exit_names"), ExitNamesJson.Default.StringArray);
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, null, $"metadata exit_names is not a JSON array of strings: {ex.Message}", ex);
        }

        try
        {
            return new ExitLogits(
                outputs.ToTensor().ToArray(),
                s[0],
                s[1],
                s[2],
                costs.ToTensor().ToDoubleArray(),
                labels?.Select(v => (int)v).ToArray(),
                names ?? [],
                Meta("model"),
                kind == "probabilities");
        }
        catch (ArgumentException ex)
        {
            throw new SafetensorsFormatException(path, null, ex.Message, ex);
        }
    }

    private static SafetensorsEntry Entry(SafetensorsFile file, string name, SafetensorsDType dtype, int rank, string path)
    {
        if (!file.TryGet(name, out var e))
        {
            throw new SafetensorsFormatException(path, name, "missing");
        }

        if (e.DType != dtype || e.Shape.Length != rank)
        {
            throw new SafetensorsFormatException(path, name, $"is {e.DType.HeaderName()} {Shape.Format(e.Shape)}, expected {dtype.HeaderName()} of rank {rank}");
        }

        return e;
    }
}
