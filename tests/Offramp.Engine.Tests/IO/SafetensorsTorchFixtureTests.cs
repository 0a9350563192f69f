using System.Text.Json;
using Offramp.Engine.IO;
using static Offramp.Engine.Tests.IO.SafetensorsTestFiles;

namespace Offramp.Engine.Tests.IO;

/// <summary>
/// Interop with PyTorch through the fixtures of <c>tools/safetensors_fixtures.py</c> (tensors made by torch 1.13,
/// written with the official writer's layout; the sidecar JSON holds torch's own values). Never edit the fixtures
/// to make these pass: regenerate them with the script and say why.
/// </summary>
public class SafetensorsTorchFixtureTests
{
    private const double SumRtol = 1e-12;

    public static TheoryData<string> Fixtures => new("f32_specials", "mixed_dtypes", "state_dict", "names");

    private static (SafetensorsFile File, JsonElement Expected) Load(string name)
    {
        var file = Safetensors.Read(Fixture(name + ".safetensors"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Fixture(name + ".expected.json")));
        return (file, doc.RootElement.Clone());
    }

    private static T[] Array<T>(JsonElement e, Func<JsonElement, T> get) => e.EnumerateArray().Select(get).ToArray();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Read_TorchFixture_MatchesTorchValuesBitForBit(string name)
    {
        var (file, expected) = Load(name);
        Assert.Equal(Array(expected.GetProperty("order"), e => e.GetString()!), file.Names);
        var md = expected.GetProperty("metadata");
        if (md.ValueKind == JsonValueKind.Null)
        {
            Assert.Null(file.Metadata);
        }
        else
        {
            Assert.Equal(md.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!), file.Metadata);
        }

        var tensors = expected.GetProperty("tensors");
        Assert.Equal(tensors.EnumerateObject().Count(), file.Count);
        foreach (var p in tensors.EnumerateObject())
        {
            var e = file[p.Name];
            var x = p.Value;
            Assert.Equal(x.GetProperty("dtype").GetString(), e.DType.HeaderName());
            Assert.Equal(Array(x.GetProperty("shape"), v => v.GetInt32()), e.Shape);
            double[] values;
            if (x.TryGetProperty("i64", out var i64))
            {
                Assert.Equal(Array(i64, v => v.GetInt64()), e.ToInt64Array());
                continue;
            }

            var t = e.ToTensor();
            if (x.TryGetProperty("f64_bits", out var f64))
            {
                Assert.Equal(DType.Float64, t.DType);
                Assert.Equal(Array(f64, v => v.GetUInt64()), Bits64(t));
            }
            else
            {
                // F16 and BF16 are widened exactly as torch's .float() does, NaN payloads included.
                Assert.Equal(DType.Float32, t.DType);
                Assert.Equal(Array(x.GetProperty("f32_bits"), v => v.GetUInt32()), Bits(t));
            }

            values = t.ToDoubleArray();
            double sum = values.Where(double.IsFinite).Sum();
            double torchSum = x.GetProperty("finite_sum").GetDouble();
            Assert.True(Math.Abs(sum - torchSum) <= SumRtol * Math.Abs(torchSum), $"{p.Name}: sum {sum:R} vs torch {torchSum:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Write_FixtureEntriesInAnyOrder_ReproducesTheFileBytes(string name)
    {
        var path = Fixture(name + ".safetensors");
        var file = Safetensors.Read(path);
        Assert.Equal(File.ReadAllBytes(path), Safetensors.Serialize(file.Reverse(), file.Metadata));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Write_TensorsRebuiltFromValues_ReproducesTheFileBytes(string name)
    {
        // Rebuild every entry from decoded values rather than raw bytes, through the public conversions, then
        // write: the same tensors must give the same bytes as the official layout.
        var (file, expected) = Load(name);
        var rebuilt = new List<SafetensorsEntry>();
        foreach (var e in file.Entries)
        {
            var x = expected.GetProperty("tensors").GetProperty(e.Name);
            rebuilt.Add(e.DType switch
            {
                SafetensorsDType.I64 => SafetensorsEntry.FromInt64(e.Name, e.ToInt64Array(), e.Shape),
                SafetensorsDType.F32 or SafetensorsDType.F64 => SafetensorsEntry.FromTensor(e.Name, e.ToTensor()),
                _ when x.TryGetProperty("source_f32_bits", out var src) => SafetensorsEntry.FromTensor(
                    e.Name, FromBits(Array(src, v => v.GetUInt32()), e.Shape), e.DType),
                _ => new SafetensorsEntry(e.Name, e.DType, e.Shape, e.Data.Span),
            });
        }

        Assert.Equal(File.ReadAllBytes(Fixture(name + ".safetensors")), Safetensors.Serialize(rebuilt, file.Metadata));
    }

    [Theory]
    [InlineData("a_half", SafetensorsDType.F16)]
    [InlineData("b_bf16", SafetensorsDType.BF16)]
    public void FromTensor_HalfAndBFloat16_NarrowLikeTorch(string name, SafetensorsDType dtype)
    {
        // Sources include ties (2049, 2051, 1.00390625), overflow to inf (65520), subnormals and underflow to 0.
        var (file, expected) = Load("mixed_dtypes");
        var src = Array(expected.GetProperty("tensors").GetProperty(name).GetProperty("source_f32_bits"), v => v.GetUInt32());
        var ours = SafetensorsEntry.FromTensor(name, FromBits(src, file[name].Shape), dtype);
        Assert.Equal(file[name].Data.ToArray(), ours.Data.ToArray());
    }

    [Fact]
    public void Read_TorchStateDict_HasPyTorchKeysShapesAndBatchNormCounters()
    {
        var (file, _) = Load("state_dict");
        Assert.Equal([2, 1, 3, 3], file["0.weight"].Shape);
        Assert.Equal([3, 8], file["4.weight"].Shape); // Linear weight is (out, in)
        foreach (var bn in new[] { "1", "5" })
        {
            var count = file[bn + ".num_batches_tracked"];
            Assert.Equal(SafetensorsDType.I64, count.DType);
            Assert.Empty(count.Shape);
            Assert.Equal([1L], count.ToInt64Array());
            Assert.All(file[bn + ".running_var"].ToTensor().ToArray(), v => Assert.True(v > 0));
        }

        Assert.False(file.Contains("2.weight")); // ReLU and Flatten hold no state
    }

    private static Tensor FromBits(uint[] bits, int[] shape) =>
        Tensor.FromArray(bits.Select(BitConverter.UInt32BitsToSingle).ToArray(), shape);
}
