using System.Text;
using Offramp.Engine.IO;
using static Offramp.Engine.Tests.IO.SafetensorsTestFiles;

namespace Offramp.Engine.Tests.IO;

/// <summary>Save → load round trips, the writer's byte layout, atomic writes and entry conversions.</summary>
public class SafetensorsRoundTripTests
{
    private static readonly uint[] F32Specials =
    [
        0x7FC00000, 0x7FC00001, 0xFFC12345, 0x7F800001, // NaNs: quiet, payloads, signalling
        0x80000000, 0x00000000, 0x00000001, 0x807FFFFF, // -0, +0, subnormals
        0x7F800000, 0xFF800000, 0x7F7FFFFF, 0x3F800000,
    ];

    private static readonly ulong[] F64Specials =
        [0x7FF8000000000123, 0xFFF0000000000001, 0x8000000000000000, 0x0000000000000001, 0x000FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF];

    private static Tensor F32FromBits(uint[] bits, params int[] shape) =>
        Tensor.FromArray(bits.Select(BitConverter.UInt32BitsToSingle).ToArray(), shape);

    [Fact]
    public void WriteRead_F32Specials_RoundTripBitExact()
    {
        var t = F32FromBits(F32Specials, 3, 4);
        var file = Safetensors.Read(Safetensors.Serialize([SafetensorsEntry.FromTensor("w", t)]));
        var back = file["w"].ToTensor();
        Assert.Equal(DType.Float32, back.DType);
        Assert.Equal([3, 4], back.Shape);
        Assert.Equal(F32Specials, Bits(back));
    }

    [Fact]
    public void WriteRead_F64Specials_RoundTripBitExact()
    {
        var t = Tensor.FromArray(F64Specials.Select(BitConverter.UInt64BitsToDouble).ToArray(), 2, 3);
        var e = SafetensorsEntry.FromTensor("d", t);
        Assert.Equal(SafetensorsDType.F64, e.DType);
        var back = Safetensors.Read(Safetensors.Serialize([e]))["d"].ToTensor();
        Assert.Equal(DType.Float64, back.DType);
        Assert.Equal(F64Specials, Bits64(back));
    }

    [Fact]
    public void WriteRead_I64_RoundTripsExtremesAndScalar()
    {
        long[] v = [0, -1, long.MaxValue, long.MinValue, 123456789012];
        var file = Safetensors.Read(Safetensors.Serialize(
            [SafetensorsEntry.FromInt64("v", v, 5), SafetensorsEntry.FromInt64("bn.num_batches_tracked", [42])]));
        Assert.Equal(v, file["v"].ToInt64Array());
        Assert.Equal([], file["bn.num_batches_tracked"].Shape);
        Assert.Equal([42L], file["bn.num_batches_tracked"].ToInt64Array());
        var ex = Assert.Throws<InvalidOperationException>(() => file["v"].ToTensor());
        Assert.Contains("ToInt64Array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_File_RoundTripsEntriesMetadataAndOrder()
    {
        var dir = TempDir("rt");
        try
        {
            var path = Path.Combine(dir, "m.safetensors");
            var rng = new Rng(7);
            SafetensorsEntry[] entries =
            [
                SafetensorsEntry.FromTensor("fc.weight", Tensor.Randn(rng, [3, 4])),
                SafetensorsEntry.FromTensor("fc.bias", Tensor.Randn(rng, [3])),
                SafetensorsEntry.FromInt64("bn.num_batches_tracked", [1]),
                SafetensorsEntry.FromTensor("empty", Tensor.Zeros(0, 5)),
                SafetensorsEntry.FromTensor("scalar", Tensor.Scalar(2.5)),
            ];
            Safetensors.Write(path, entries, new Dictionary<string, string> { ["format"] = "pt" });
            var file = Safetensors.Read(path);
            Assert.Equal(path, file.Source);
            Assert.Equal(["bn.num_batches_tracked", "empty", "fc.bias", "fc.weight", "scalar"], file.Names);
            Assert.Equal("pt", file.Metadata!["format"]);
            foreach (var e in entries)
            {
                Assert.Equal(e.DType, file[e.Name].DType);
                Assert.Equal(e.Shape, file[e.Name].Shape);
                Assert.True(e.Data.Span.SequenceEqual(file[e.Name].Data.Span), e.Name);
            }

            Assert.Equal(File.ReadAllBytes(path), Safetensors.Serialize(file, file.Metadata));
            Assert.Equal([path], Directory.GetFiles(dir)); // no temp file left behind
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_ExistingFile_IsReplacedWhole()
    {
        var dir = TempDir("replace");
        try
        {
            var path = Path.Combine(dir, "m.safetensors");
            Safetensors.Write(path, [SafetensorsEntry.FromTensor("big", Tensor.Ones(1000))]);
            Safetensors.Write(path, [SafetensorsEntry.FromTensor("small", Tensor.Ones(2))]);
            Assert.Equal(["small"], Safetensors.Read(path).Names);
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_FailingRename_LeavesNoTempFileAndNothingUnderTheName()
    {
        var dir = TempDir("fail");
        try
        {
            var target = Path.Combine(dir, "taken");
            Directory.CreateDirectory(target); // a directory cannot be replaced by the rename
            Assert.ThrowsAny<IOException>(() => Safetensors.Write(target, [SafetensorsEntry.FromTensor("a", Tensor.Ones(2))]));
            Assert.Empty(Directory.GetFiles(dir));
            Assert.True(Directory.Exists(target));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_InvalidArguments_ThrowBeforeTouchingTheFile()
    {
        var dir = TempDir("args");
        try
        {
            var path = Path.Combine(dir, "m.safetensors");
            var a = SafetensorsEntry.FromTensor("a", Tensor.Ones(2));
            var ex = Assert.Throws<ArgumentException>(() => Safetensors.Write(path, [a, a]));
            Assert.Contains("duplicate tensor name 'a'", ex.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => Safetensors.Write(path, [SafetensorsEntry.FromTensor("bad\ud800", Tensor.Ones(1))]));
            Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromTensor(Safetensors.MetadataKey, Tensor.Ones(1)));
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Serialize_OfficialTestVectors_MatchByteForByte()
    {
        // The byte arrays of test_serialization / test_empty in huggingface/safetensors tensor.rs, spelled as text.
        var data = new float[] { 0, 1, 2, 3, 4, 5 };
        var bytes = Safetensors.Serialize([SafetensorsEntry.FromTensor("attn.0", Tensor.FromArray(data, 1, 2, 3))]);
        var header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        Assert.Equal(Build(header.PadRight(64), 0).Concat(data.SelectMany(BitConverter.GetBytes)), bytes);

        var aligned = Safetensors.Serialize([SafetensorsEntry.FromTensor("attn0", Tensor.FromArray(data, 1, 1, 2, 3))]);
        Assert.Equal(72, BitConverter.ToInt64(aligned, 0));
        Assert.Equal("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ",
            Encoding.UTF8.GetString(aligned, 8, 72));

        Assert.Equal(Build("{}      "), Safetensors.Serialize([]));
        Assert.Equal(Build("{\"__metadata__\":{\"framework\":\"pt\"}}     "),
            Safetensors.Serialize([], new Dictionary<string, string> { ["framework"] = "pt" }));
    }

    [Fact]
    public void Serialize_MixedDTypes_OrdersByDescendingDTypeThenUtf8Name()
    {
        var h = SafetensorsEntry.FromTensor("a", Tensor.Ones(1), SafetensorsDType.F16);
        var b = SafetensorsEntry.FromTensor("a2", Tensor.Ones(1), SafetensorsDType.BF16);
        var f = SafetensorsEntry.FromTensor("z", Tensor.Ones(1));
        var d = SafetensorsEntry.FromTensor("y", Tensor.Full([1], 1.0, DType.Float64));
        var l = SafetensorsEntry.FromInt64("x", [1], 1);
        // UTF-8 order differs from UTF-16 order here: U+FF0B sorts before U+1F600 in UTF-8, after it in UTF-16.
        var e1 = SafetensorsEntry.FromTensor("\U0001F600", Tensor.Ones(1));
        var e2 = SafetensorsEntry.FromTensor("\uFF0B", Tensor.Ones(1));
        var file = Safetensors.Read(Safetensors.Serialize([h, b, f, d, l, e1, e2]));
        Assert.Equal(["x", "y", "z", "\uFF0B", "\U0001F600", "a2", "a"], file.Names);
    }

    [Fact]
    public void Entry_Constructor_ValidatesLengthAndCopies()
    {
        var bytes = new byte[8];
        var e = new SafetensorsEntry("w", SafetensorsDType.F32, [2], bytes);
        bytes[0] = 1;
        Assert.Equal(0, e.Data.Span[0]);
        Assert.Throws<ArgumentException>(() => new SafetensorsEntry("w", SafetensorsDType.F32, [3], bytes));
        Assert.Throws<ArgumentException>(() => new SafetensorsEntry("w", SafetensorsDType.F32, [-2, -1], bytes));
        Assert.Throws<ArgumentException>(() => SafetensorsEntry.FromInt64("n", [1, 2], 3));
    }

    [Fact]
    public void Entry_NarrowIntegerTypes_WidenToInt64()
    {
        var file = Safetensors.Read(Build("{" + Entry("i8", "I8", "[2]", 0, 2) + "," + Entry("u16", "U16", "[1]", 2, 4) +
            "," + Entry("b", "BOOL", "[2]", 4, 6) + "}", 6));
        Assert.Equal(SafetensorsDType.I8, file["i8"].DType);
        Assert.Equal(file["i8"].Data.ToArray().Select(x => (long)(sbyte)x), file["i8"].ToInt64Array());
        Assert.Equal(BitConverter.ToUInt16(file["u16"].Data.Span), file["u16"].ToInt64Array()[0]);
        Assert.Throws<InvalidOperationException>(() => file["i8"].ToTensor());
    }
}
