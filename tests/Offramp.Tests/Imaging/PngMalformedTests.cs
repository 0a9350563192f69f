using System.Buffers.Binary;
using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

/// <summary>Malformed files, part 1: signature, chunk framing, IHDR and chunk order. Each asserts its reason.</summary>
public class PngMalformedTests
{
    internal static ImageFormatException Reject(byte[] png, string reason, PngDecoderOptions? options = null)
    {
        var e = Assert.Throws<ImageFormatException>(() => PngDecoder.Decode(png, "x.png", options));
        Assert.StartsWith("x.png: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal("x.png", e.FileName);
        return e;
    }

    private static byte[] Valid => PngBuilder.Grey([1, 2, 3], [4, 5, 6]);

    private static byte[] WithIhdr(uint width, uint height, byte depth, byte color, byte interlace = 0)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9], ihdr[12]) = (depth, color, interlace);
        return new PngBuilder().Chunk("IHDR", ihdr).Idat(PngBuilder.Unfiltered([0])).Iend().ToArray();
    }

    [Fact]
    public void Decode_BadSignature_Rejected() =>
        Reject([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 74, 70, 73, 70, 0, 1], "not a PNG file (bad signature)");

    [Fact]
    public void Decode_SignatureOnlyPartly_RejectedAsTruncatedSignature() =>
        Reject(Valid[..5], "truncated signature (5 of 8 bytes)");

    [Fact]
    public void Decode_EmptyFile_RejectedAsTruncatedSignature() => Reject([], "truncated signature (0 of 8 bytes)");

    [Fact]
    public void Decode_SignatureOnly_RejectedAsMissingIhdr() => Reject(Valid[..8], "missing IHDR: the file ends at offset 8");

    [Fact]
    public void Decode_CutInsideIdat_RejectedAsTruncatedChunk() =>
        Reject(Valid[..50], "truncated chunk IDAT at offset 33: needs");

    [Fact]
    public void Decode_CutInsideChunkHeader_RejectedAsTruncatedChunk() =>
        Reject(Valid[..38], "truncated chunk at offset 33: 5 bytes left");

    [Fact]
    public void Decode_FlippedIhdrByte_RejectedAsCrcMismatch()
    {
        byte[] png = Valid;
        png[8 + 8 + 3] ^= 1; // a width byte
        Reject(png, "CRC mismatch in IHDR at offset 8");
    }

    [Fact]
    public void Decode_BadAncillaryCrc_RejectedAsCrcMismatch()
    {
        byte[] png = new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Chunk("tEXt", [65, 0, 66], crc: 1234)
            .Idat(PngBuilder.Unfiltered([0])).Iend().ToArray();
        Reject(png, "CRC mismatch in tEXt at offset 33 (stored 0x000004D2");
    }

    [Fact]
    public void Decode_ZeroWidth_Rejected() => Reject(WithIhdr(0, 5, 8, 0), "invalid size 0×5: width and height must be > 0");

    [Fact]
    public void Decode_HugeDimensions_RejectedBeforeAllocation() =>
        Reject(WithIhdr(40000, 40000, 8, 6), "40000×40000 exceeds the 16384×16384 limit");

    [Fact]
    public void Decode_DimensionAbove2To31_Rejected() =>
        Reject(WithIhdr(0x80000000, 1, 8, 0), "invalid size 2147483648×1: dimensions must be below 2^31");

    [Fact]
    public void Decode_TooManyPixels_RejectedByPixelCap()
    {
        Reject(WithIhdr(16384, 16384, 8, 0), "16384×16384 = 268435456 pixels exceeds the 67108864-pixel limit");
        Reject(WithIhdr(100, 100, 8, 0), "exceeds the 9999-pixel limit", new PngDecoderOptions { MaxPixels = 9999 });
    }

    [Fact]
    public void Decode_RaisedLimitsButOverArraySize_Rejected()
    {
        var huge = new PngDecoderOptions { MaxWidth = 1 << 20, MaxHeight = 1 << 20, MaxPixels = long.MaxValue };
        Reject(WithIhdr(1 << 20, 1 << 20, 8, 6), "above the 2147483591-byte array limit", huge);
    }

    [Theory]
    [InlineData(4, 2)]
    [InlineData(16, 3)]
    [InlineData(2, 6)]
    [InlineData(1, 4)]
    [InlineData(3, 0)]
    public void Decode_BadDepthForColourType_Rejected(byte depth, byte color) =>
        Reject(WithIhdr(1, 1, depth, color), $"invalid bit depth {depth} for colour type {color}");

    [Fact]
    public void Decode_UnknownColourType_Rejected() => Reject(WithIhdr(1, 1, 8, 5), "invalid colour type 5");

    [Fact]
    public void Decode_UnknownInterlaceMethod_Rejected() => Reject(WithIhdr(1, 1, 8, 0, 2), "unknown interlace method 2");

    [Fact]
    public void Decode_ShortIhdr_Rejected() =>
        Reject(new PngBuilder().Chunk("IHDR", new byte[12]).Iend().ToArray(), "IHDR has length 12, expected 13");

    [Fact]
    public void Decode_NoIhdr_Rejected() =>
        Reject(new PngBuilder().Iend().ToArray(), "missing IHDR: the first chunk is IEND at offset 8");

    [Fact]
    public void Decode_IdatBeforeIhdr_Rejected() => Reject(
        new PngBuilder().Idat(PngBuilder.Unfiltered([0])).Ihdr(1, 1, 8, PngColorType.Grey).Iend().ToArray(),
        "missing IHDR: the first chunk is IDAT at offset 8");

    [Fact]
    public void Decode_DuplicateIhdr_Rejected() => Reject(
        new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Ihdr(1, 1, 8, PngColorType.Grey).Iend().ToArray(),
        "duplicate IHDR at offset 33");

    [Fact]
    public void Decode_MissingIend_Rejected() => Reject(Valid[..^12], "missing IEND: the file ends at offset");

    [Fact]
    public void Decode_IendWithData_Rejected() => Reject(
        new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Idat(PngBuilder.Unfiltered([0])).Chunk("IEND", [0]).ToArray(),
        "has length 1, expected 0");

    [Fact]
    public void Decode_NoIdat_Rejected() =>
        Reject(new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Iend().ToArray(), "no IDAT chunk before IEND");

    [Fact]
    public void Decode_UnknownCriticalChunk_Rejected() => Reject(
        new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Chunk("ABCD", [1]).Idat(PngBuilder.Unfiltered([0])).Iend().ToArray(),
        "unknown critical chunk ABCD at offset 33");

    [Fact]
    public void Decode_NonLetterChunkType_Rejected() => Reject(
        new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Chunk("ab1d", []).Iend().ToArray(),
        "invalid chunk type 0x61623164 at offset 33");

    [Fact]
    public void Decode_ChunkLengthAbove2To31_Rejected()
    {
        byte[] png = [.. Valid[..33], 0x80, 0, 0, 0, .. "IDAT"u8, 0, 0, 0, 0];
        Reject(png, "chunk IDAT at offset 33 has invalid length 2147483648");
    }

    [Fact]
    public void Decode_SplitIdat_RejectedAsNotConsecutive()
    {
        byte[] z = PngEncoder.Compress(PngBuilder.Unfiltered([1, 2]));
        byte[] png = new PngBuilder().Ihdr(2, 1, 8, PngColorType.Grey).Chunk("IDAT", z[..4]).Chunk("tEXt", [65, 0])
            .Chunk("IDAT", z[4..]).Iend().ToArray();
        Reject(png, "IDAT chunks are not consecutive: IDAT at offset 63 follows tEXt");
    }

    [Fact]
    public void Load_MalformedFile_MessageNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"offramp-bad-{Environment.ProcessId}.png");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        try
        {
            var e = Assert.Throws<ImageFormatException>(() => PngDecoder.Load(path));
            Assert.Equal($"{path}: not a PNG file (bad signature)", e.Message);
            e = Assert.Throws<ImageFormatException>(() => PngDecoder.Load(path, new PngDecoderOptions { MaxFileBytes = 4 }));
            Assert.Contains("file is 9 bytes, above the 4-byte limit", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
