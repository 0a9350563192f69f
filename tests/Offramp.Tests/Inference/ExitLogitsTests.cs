using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Tests.Data;

namespace Offramp.Tests.Inference;

public sealed class ExitLogitsTests
{
    private static readonly ExitInfo[] Exits = [new(0, "early", 100), new(1, "final", 250)];

    private static ExitOutputs Batch(float offset, int rows) => new(
        Exits,
        [
            Tensor.FromArray([.. Enumerable.Range(0, rows * 3).Select(i => offset + i)], rows, 3),
            Tensor.FromArray([.. Enumerable.Range(0, rows * 3).Select(i => -offset - i)], rows, 3),
        ]);

    [Fact]
    public void FromOutputs_TwoBatches_ConcatenatesSamplesPerExit()
    {
        var logits = ExitLogits.FromOutputs([Batch(0, 2), Batch(100, 1)], [[0, 1], [2]], modelName: "m");

        Assert.Equal((2, 3, 3), (logits.Exits, logits.Samples, logits.Classes));
        Assert.Equal([3f, 4f, 5f], logits.Output(0, 1).ToArray());
        Assert.Equal([100f, 101f, 102f], logits.Output(0, 2).ToArray());
        Assert.Equal([-100f, -101f, -102f], logits.Output(1, 2).ToArray());
        Assert.Equal([0, 1, 2], logits.Labels!);
        Assert.Equal([100.0, 250.0], logits.Costs);
        Assert.Equal(["early", "final"], logits.ExitNames);
        Assert.Equal("m", logits.ModelName);
    }

    [Fact]
    public void FromOutputs_MacsNeverCounted_Throws()
    {
        ExitInfo[] uncounted = [new(0, "a"), new(1, "b")];
        var batch = new ExitOutputs(uncounted, [Tensor.Zeros(1, 2), Tensor.Zeros(1, 2)]);

        var ex = Assert.Throws<ArgumentException>(() => ExitLogits.FromOutputs([batch]));

        Assert.Contains("never counted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromOutputs_LabelCountMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => ExitLogits.FromOutputs([Batch(0, 2)], [[0]]));
    }

    [Fact]
    public void FromArrays_PerExitArrays_MatchOutputs()
    {
        var logits = ExitLogits.FromArrays([[1f, 2f, 3f, 4f], [5f, 6f, 7f, 8f]], 2, [1, 2]);

        Assert.Equal([7f, 8f], logits.Output(1, 1).ToArray());
        Assert.Null(logits.Labels);
    }

    [Fact]
    public void Constructor_NonFiniteOutput_ThrowsNamingPosition()
    {
        float[] v = [0f, 1f, 2f, float.NaN];

        var ex = Assert.Throws<ArgumentException>(() => new ExitLogits(v, 2, 1, 2, [1.0, 2.0]));

        Assert.Contains("(exit 1, sample 0, class 1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_DecreasingCosts_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ExitLogits(new float[4], 2, 1, 2, [2.0, 1.0]));
    }

    [Fact]
    public void Constructor_LabelOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ExitLogits(new float[4], 2, 1, 2, [1.0, 2.0], [2]));

        Assert.Contains("label 2 of sample 0 outside [0, 2)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsEverything()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "cal.safetensors");
        var original = InferenceData.Random(new Rng(9), 3, 17, 4);
        original = new ExitLogits(original.Values, 3, 17, 4, original.Costs, original.Labels, ["a", "b", "c"], "net", true);

        original.Save(path);
        var loaded = ExitLogits.Load(path);

        Assert.Equal(original.Values.ToArray(), loaded.Values.ToArray());
        Assert.Equal(original.Labels!, loaded.Labels!);
        Assert.Equal(original.Costs, loaded.Costs);
        Assert.Equal(original.ExitNames, loaded.ExitNames);
        Assert.Equal("net", loaded.ModelName);
        Assert.True(loaded.IsProbabilities);
        Assert.Equal(original.Identity, loaded.Identity);
    }

    [Fact]
    public void Save_ThenLoad_UnlabelledStaysUnlabelled()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "u.safetensors");

        ExitLogits.FromArrays([[1f, 2f], [3f, 4f]], 2, [1, 2]).Save(path);

        Assert.Null(ExitLogits.Load(path).Labels);
    }

    [Fact]
    public void Load_PlainWeightsFile_ThrowsNamingTheFile()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "weights.safetensors");
        Safetensors.Write(path, [SafetensorsEntry.FromTensor("fc.weight", Tensor.Zeros(2, 2))]);

        var ex = Assert.Throws<SafetensorsFormatException>(() => ExitLogits.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CostsDoNotMatchExits_Throws()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.safetensors");
        var meta = new Dictionary<string, string>
        {
            ["format"] = ExitLogits.FileFormat, ["version"] = "1", ["kind"] = "logits", ["model"] = "", ["exit_names"] = "[\"a\",\"b\"]",
        };
        Safetensors.Write(
            path,
            [SafetensorsEntry.FromTensor("outputs", Tensor.Zeros(2, 1, 2)), SafetensorsEntry.FromTensor("costs", Tensor.FromArray(new double[] { 1, 2, 3 }, 3))],
            meta);

        var ex = Assert.Throws<SafetensorsFormatException>(() => ExitLogits.Load(path));

        Assert.Contains("costs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelOutOfRange_Throws()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "labels.safetensors");
        var meta = new Dictionary<string, string>
        {
            ["format"] = ExitLogits.FileFormat, ["version"] = "1", ["kind"] = "logits", ["model"] = "", ["exit_names"] = "[\"a\"]",
        };
        Safetensors.Write(
            path,
            [
                SafetensorsEntry.FromTensor("outputs", Tensor.Zeros(1, 1, 2)),
                SafetensorsEntry.FromTensor("costs", Tensor.FromArray(new double[] { 1 }, 1)),
                SafetensorsEntry.FromInt64("labels", [5L], 1),
            ],
            meta);

        var ex = Assert.Throws<SafetensorsFormatException>(() => ExitLogits.Load(path));

        Assert.Contains("label 5", ex.Message, StringComparison.Ordinal);
    }
}
