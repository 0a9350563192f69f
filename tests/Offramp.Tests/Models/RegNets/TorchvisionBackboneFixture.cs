using System.Text.Json;
using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Engine.Nn;

namespace Offramp.Tests.Models;

/// <summary>
/// The fixtures of <c>tools/torchvision_backbones.py</c> (torchvision 0.14.1, PyTorch 1.13): per-variant parameter
/// counts, MACs per part, stage settings and state-dict keys (<c>torchvision_backbones.json</c>), and parity cases
/// (<c>*.safetensors</c>: <c>state.*</c>, <c>input</c>, <c>logits</c>, <c>out.*</c>). Never edit a fixture to make a
/// test pass: regenerate it with the script.
/// </summary>
internal static class TorchvisionBackboneFixture
{
    /// <summary>Parity tolerance (issue 6: rtol 1e-4, atol 1e-5).</summary>
    public const double Rtol = 1e-4;

    /// <summary>Absolute floor for values near zero.</summary>
    public const double Atol = 1e-5;

    private static readonly Lazy<JsonDocument> Json = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "torchvision_backbones.json"))));

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "backbones");

    /// <summary>The JSON entry of a RegNet (<c>regnet_y_400mf</c>, …).</summary>
    public static JsonElement RegNet(string torchvisionName) =>
        Json.Value.RootElement.GetProperty("regnet").GetProperty(torchvisionName);

    /// <summary>The JSON entry of mobilenet_v3_large at a width (keys "0.5", "1.0", …, as Python prints them).</summary>
    public static JsonElement MobileNet(double width) =>
        Json.Value.RootElement.GetProperty("mobilenet_v3_large").GetProperty(
            width.ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture));

    public static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt32())];

    /// <summary>(key, shape) of torchvision's state dict, in its order.</summary>
    public static List<(string Key, int[] Shape)> Keys(JsonElement entry) =>
        [.. entry.GetProperty("keys").EnumerateArray().Select(k => (k[0].GetString()!, Ints(k[1])))];

    /// <summary>Asserts that <paramref name="module"/>'s state dict has exactly torchvision's keys, order and
    /// shapes.</summary>
    public static void AssertSameStateDict(JsonElement entry, Module module, string what)
    {
        var expected = Keys(entry);
        var actual = module.StateDict().Entries.Select(e => (e.Key, e.Tensor.Shape)).ToList();
        var missing = expected.Select(k => k.Key).Except(actual.Select(k => k.Key)).Take(5).ToList();
        var extra = actual.Select(k => k.Key).Except(expected.Select(k => k.Key)).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{what}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Key == actual[i].Key,
                $"{what}: key {i} is {actual[i].Key}, torchvision has {expected[i].Key}");
            Assert.True(Shape.Equal(expected[i].Shape, actual[i].Shape),
                $"{what}: {expected[i].Key} has shape {Shape.Format(actual[i].Shape)}, torchvision " +
                $"{Shape.Format(expected[i].Shape)}");
        }
    }

    /// <summary>A parity case: its tensors and its configuration (the "case" metadata).</summary>
    public static (Dictionary<string, Tensor> Tensors, JsonElement Case) Parity(string name)
    {
        var file = Safetensors.Read(Path.Combine(Dir, name + ".safetensors"));
        using var doc = JsonDocument.Parse(file.Metadata!["case"]);
        return (StateDictFiles.ReadTensors(file), doc.RootElement.Clone());
    }

    /// <summary>The <c>state.*</c> entries without the prefix (a torchvision state dict).</summary>
    public static Dictionary<string, Tensor> State(Dictionary<string, Tensor> tensors) => tensors
        .Where(kv => kv.Key.StartsWith("state.", StringComparison.Ordinal))
        .ToDictionary(kv => kv.Key["state.".Length..], kv => kv.Value, StringComparer.Ordinal);
}
