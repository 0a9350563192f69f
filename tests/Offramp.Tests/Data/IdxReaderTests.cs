using System.Buffers.Binary;
using Offramp.Data;

namespace Offramp.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Read_RawUByte_ReturnsShapeAndBytes()
    {
        var path = _dir.Write("tiny-idx3-ubyte", IdxBytes.UByte([1, 2, 3, 4, 5, 6], 1, 2, 3));

        var a = IdxReader.Read(path);

        Assert.Equal(IdxElementType.UByte, a.ElementType);
        Assert.Equal([1, 2, 3], a.Shape);
        Assert.Equal([1, 2, 3, 4, 5, 6], a.Bytes);
        Assert.Equal("tiny-idx3-ubyte", a.FileName);
        Assert.Equal("1×2×3", a.ShapeText);
    }

    [Fact]
    public void Read_GzipUByte_SameAsRaw()
    {
        var content = IdxBytes.UByteOfShape(7, 5, 3);
        var raw = IdxReader.Read(_dir.Write("a-idx3-ubyte", content));

        // A .gz name is not needed: gzip is detected by its magic bytes.
        var gz = IdxReader.Read(_dir.Write("b-idx3-ubyte", IdxBytes.Gzip(content)));

        Assert.Equal(raw.Shape, gz.Shape);
        Assert.Equal(raw.Bytes, gz.Bytes);
    }

    [Fact]
    public void Read_BigEndianTypes_ConvertedToNativeValues()
    {
        byte[] i16 = [.. IdxBytes.Header(0x0B, 2), 0xFF, 0xFE, 0x01, 0x2C];
        byte[] i32 = [.. IdxBytes.Header(0x0C, 1), 0x00, 0x01, 0x00, 0x02];
        var f32 = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(f32, -1.5f);
        var f64 = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(f64, Math.PI);
        byte[] i8 = [.. IdxBytes.Header(0x09, 2), 0xFF, 0x7F];

        Assert.Equal([(short)-2, (short)300], IdxReader.Read(_dir.Write("i16", i16)).DataAs<short>());
        Assert.Equal([65538], IdxReader.Read(_dir.Write("i32", i32)).DataAs<int>());
        Assert.Equal([-1.5f], IdxReader.Read(_dir.Write("f32", [.. IdxBytes.Header(0x0D, 1), .. f32])).DataAs<float>());
        byte[] f64File = [.. IdxBytes.Header(0x0E, 1, 1), .. f64];
        Assert.Equal([Math.PI], IdxReader.Read(_dir.Write("f64", f64File)).DataAs<double>());
        Assert.Equal([(sbyte)-1, (sbyte)127], IdxReader.Read(_dir.Write("i8", i8)).DataAs<sbyte>());
    }

    [Fact]
    public void Bytes_NonUByteFile_ThrowsNamingFileAndType()
    {
        var a = IdxReader.Read(_dir.Write("ints-idx1-int", [.. IdxBytes.Header(0x0C, 1), 0, 0, 0, 7]));

        var e = Assert.Throws<DataFormatException>(() => a.Bytes);

        Assert.Contains("ints-idx1-int", e.Message);
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void Read_GzipPromisingFarMoreThanItHolds_RejectedWithoutAllocatingThePromise()
    {
        // 100 kB of incompressible bytes, header promising 100 MB: deflate could expand 100 kB that far (1032:1),
        // so the size is plausible; the reader must count the data before allocating 100 MB for it.
        var noise = new byte[100_000];
        new Random(1).NextBytes(noise);
        var path = _dir.Write("liar-idx2-ubyte.gz", IdxBytes.Gzip([.. IdxBytes.Header(0x08, 100_000, 1000), .. noise]));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("liar-idx2-ubyte.gz: truncated: header promises 100000×1000 = 100000000 bytes", e.Message);
        Assert.True(allocated < 10_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => IdxReader.Read(Path.Combine(_dir.Path, "nope-idx1-ubyte")));
    }

    // The corrupt corpus: each case is built in the test, written under a name that says what is wrong, and must
    // be rejected with an IdxFormatException whose message names the file and states the reason.
    [Theory]
    [InlineData("empty", "empty file")]
    [InlineData("one-byte", "truncated header")]
    [InlineData("short-magic", "truncated header")]
    [InlineData("bad-magic", "bad magic number 0x01000803")]
    [InlineData("bad-magic-second-byte", "bad magic number 0x00FF0801")]
    [InlineData("bad-type", "unsupported element type 0x07")]
    [InlineData("zero-rank", "0 dimensions; expected 1 to 4")]
    [InlineData("rank-five", "5 dimensions; expected 1 to 4")]
    [InlineData("truncated-dims", "truncated header: 3 dimensions need a 16-byte header")]
    [InlineData("zero-dim", "dimension 1 is 0 (shape 5×0×28): every dimension must be at least 1")]
    [InlineData("dim-over-int", "dimension 0 is 4294967295 (shape 4294967295): more than 2^31-1")]
    [InlineData("dims-overflow-64bit", "overflows")]
    [InlineData("dims-too-large-for-array", "more than one array can hold")]
    [InlineData("truncated-data", "truncated: header promises 60000×28×28 = 47040000 bytes, the file has 1000")]
    [InlineData("truncated-int32-data", "truncated: header promises 3×4 = 12 bytes, the file has 11")]
    [InlineData("trailing-bytes", "2 trailing bytes")]
    [InlineData("gz-corrupt", "corrupt gzip data (decompressor:")]
    [InlineData("gz-too-short", "corrupt gzip data: 12 bytes is shorter than the smallest gzip stream")]
    [InlineData("gz-corrupt-crc", "corrupt gzip data (decompressor:")]
    [InlineData("gz-cut-short", "truncated: header promises 50×28×28 = 39200 bytes, the gzip data decompresses to")]
    [InlineData("gz-cut-in-trailer", "file cut inside the gzip trailer")]
    [InlineData("gz-wrong-length-in-trailer", "corrupt gzip data (decompressor:")]
    [InlineData("gz-empty-content", "4 magic bytes, the gzip data decompresses to 0")]
    [InlineData("gz-bad-magic", "bad magic number")]
    [InlineData("gz-truncated-data", "promises 10×28×28 = 7840 bytes, the gzip data decompresses to 7000")]
    [InlineData("gz-more-than-promised", "decompresses to more than promised")]
    [InlineData("gz-bomb-header", "impossible size: header promises 60000×28×28 = 47040000 bytes, but")]
    public void Read_CorruptFile_ThrowsNamingFileAndReason(string kind, string reason)
    {
        string name = $"corrupt-{kind}-idx3-ubyte" + (kind.StartsWith("gz-", StringComparison.Ordinal) ? ".gz" : "");
        var path = _dir.Write(name, Corrupt(kind));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));

        Assert.True(e.Message.StartsWith(name + ": ", StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains(reason, StringComparison.Ordinal), $"expected \"{reason}\" in: {e.Message}");
        Assert.Equal(name, e.FileName);
    }

    private static byte[] Corrupt(string kind)
    {
        switch (kind)
        {
            case "empty": return [];
            case "one-byte": return [0x1F];
            case "short-magic": return [0, 0, 8];
            case "bad-magic": return [1, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9];
            case "bad-magic-second-byte": return [0, 0xFF, 8, 1, 0, 0, 0, 1, 9];
            case "bad-type": return [.. IdxBytes.Header(0x07, 1), 9];
            case "zero-rank": return [0, 0, 8, 0];
            case "rank-five": return [.. IdxBytes.Header(0x08, 1, 1, 1, 1, 1), 9];
            case "truncated-dims": return IdxBytes.Header(0x08, 60000, 28, 28)[..12];
            case "zero-dim": return IdxBytes.Header(0x08, 5, 0, 28);
            case "dim-over-int": return [.. IdxBytes.Header(0x08, uint.MaxValue), 1, 2, 3];
            case "dims-overflow-64bit":
                return IdxBytes.Header(0x0E, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue);
            case "dims-too-large-for-array": return IdxBytes.Header(0x08, 60000, 60000, 28);
            case "truncated-data": return [.. IdxBytes.Header(0x08, 60000, 28, 28), .. new byte[1000]];
            case "truncated-int32-data": return [.. IdxBytes.Header(0x0C, 3), .. new byte[11]];
            case "trailing-bytes": return [.. IdxBytes.UByteOfShape(2, 3), 0xAA, 0xBB];
            case "gz-corrupt": // a valid gzip header followed by an invalid deflate block type (0b11)
                return [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, .. Enumerable.Repeat((byte)0xFF, 24)];
            case "gz-too-short": return [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x03, 0x00];
            case "gz-corrupt-crc":
            {
                var gz = IdxBytes.Gzip(IdxBytes.UByteOfShape(4, 28, 28));
                gz[^8] ^= 0x55; // CRC-32 of the trailer
                return gz;
            }

            case "gz-wrong-length-in-trailer":
            {
                var gz = IdxBytes.Gzip(IdxBytes.UByteOfShape(4, 28, 28));
                gz[^1] ^= 0x01; // ISIZE, checked by zlib when the trailer is complete
                return gz;
            }

            case "gz-cut-short":
            {
                var gz = IdxBytes.Gzip(IdxBytes.UByteOfShape(50, 28, 28));
                return gz[..(gz.Length / 2)];
            }

            case "gz-cut-in-trailer":
            {
                var gz = IdxBytes.Gzip(IdxBytes.UByteOfShape(4, 28, 28));
                return gz[..^3]; // payload complete, CRC-32 and length cut
            }

            case "gz-empty-content": // gzip of zero bytes (Python's gzip.compress(b"", mtime=0))
                return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 2, 0xFF, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            case "gz-bad-magic": return IdxBytes.Gzip([7, 7, 8, 1, 0, 0, 0, 1, 0]);
            case "gz-truncated-data": return IdxBytes.Gzip([.. IdxBytes.Header(0x08, 10, 28, 28), .. new byte[7000]]);
            case "gz-more-than-promised":
                return IdxBytes.Gzip([.. IdxBytes.UByteOfShape(10, 28, 28), .. new byte[100_000]]);
            case "gz-bomb-header": return IdxBytes.Gzip(IdxBytes.Header(0x08, 60000, 28, 28));
            default: throw new ArgumentException(kind);
        }
    }
}
