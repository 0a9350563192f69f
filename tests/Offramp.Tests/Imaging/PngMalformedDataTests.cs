using Offramp.Imaging;
using static Offramp.Tests.Imaging.PngMalformedTests;

namespace Offramp.Tests.Imaging;

/// <summary>Malformed files, part 2: image data, palette and transparency. Each asserts its reason.</summary>
public class PngMalformedDataTests
{
    private static byte[] GreyWithIdat(int width, int height, byte[] idatPayload) =>
        new PngBuilder().Ihdr(width, height, 8, PngColorType.Grey).Chunk("IDAT", idatPayload).Iend().ToArray();

    private static byte[] Palette(byte[]? plte, byte[] scanlines, byte[]? trns = null, int width = 2)
    {
        var b = new PngBuilder().Ihdr(width, 1, 8, PngColorType.Palette);
        if (plte is not null)
        {
            b.Chunk("PLTE", plte);
        }

        if (trns is not null)
        {
            b.Chunk("tRNS", trns);
        }

        return b.Idat(scanlines).Iend().ToArray();
    }

    [Fact]
    public void Decode_TooLittleData_Rejected() => Reject(
        GreyWithIdat(3, 2, PngEncoder.Compress(PngBuilder.Unfiltered([1, 2, 3]))),
        "too little image data: IDAT inflates to 4 bytes, expected 8 (2 rows × (1 + 3) bytes)");

    [Fact]
    public void Decode_TooMuchData_Rejected() => Reject(
        GreyWithIdat(3, 1, PngEncoder.Compress(PngBuilder.Unfiltered([1, 2, 3], [4, 5, 6]))),
        "too much image data: IDAT inflates to more than 4 bytes");

    [Fact]
    public void Decode_ZipBomb_StopsAtExpectedSizeWithoutLargeAllocation()
    {
        byte[] bomb = PngEncoder.Compress(new byte[16 << 20]); // 16 MiB of zeros, ~16 KiB compressed
        byte[] png = GreyWithIdat(4, 4, bomb);
        PngDecoder.Decode(GreyWithIdat(1, 1, PngEncoder.Compress(new byte[2])), null, null); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        Reject(png, "too much image data: IDAT inflates to more than 20 bytes");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"decoder allocated {allocated} bytes for a 4×4 image");
    }

    [Fact]
    public void Decode_InvalidFilterByte_Rejected() => Reject(
        GreyWithIdat(2, 2, PngEncoder.Compress([0, 1, 2, 5, 3, 4])), "invalid filter type 5 on row 1 (expected 0–4)");

    [Fact]
    public void Decode_InvalidFilterByteInterlaced_NamesPass()
    {
        // 1×2 Adam7: pass 1 holds (0,0), pass 7 holds (0,1); both are one row.
        byte[] png = new PngBuilder().Ihdr(1, 2, 8, PngColorType.Grey, interlace: 1)
            .Idat([0, 9, 7, 9]).Iend().ToArray();
        Reject(png, "invalid filter type 7 on row 0 of Adam7 pass 7");
    }

    [Fact]
    public void Decode_CorruptZlibStream_Rejected()
    {
        byte[] z = PngEncoder.Compress(PngBuilder.Unfiltered([1, 2, 3], [4, 5, 6]));
        z[2] ^= 0xFF; // break the first deflate block header
        Reject(GreyWithIdat(3, 2, z), "corrupt zlib stream in IDAT");
    }

    [Fact]
    public void Decode_NotZlibAtAll_Rejected() =>
        Reject(GreyWithIdat(3, 2, [1, 2, 3, 4, 5, 6, 7, 8]), "corrupt zlib stream in IDAT");

    [Fact]
    public void Decode_BadAdler32_Rejected()
    {
        byte[] z = PngEncoder.Compress(PngBuilder.Unfiltered([1, 2, 3], [4, 5, 6]));
        z[^1] ^= 0x55;
        Reject(GreyWithIdat(3, 2, z), "corrupt zlib stream in IDAT");
    }

    [Fact]
    public void Decode_TruncatedZlibStream_Rejected()
    {
        var rows = Enumerable.Range(0, 64).Select(y => Enumerable.Range(0, 64).Select(x => (byte)(x * y * 7 % 251)).ToArray());
        byte[] z = PngEncoder.Compress(PngBuilder.Unfiltered([.. rows]));
        // The in-box inflater reports a cut stream as a clean end of data, so the row count catches it.
        Reject(GreyWithIdat(64, 64, z[..(z.Length / 2)]), "too little image data: IDAT inflates to ");
    }

    [Fact]
    public void Decode_PaletteIndexOutOfRange_Rejected() => Reject(
        Palette([255, 0, 0, 0, 255, 0, 0, 0, 255], [0, 2, 3]),
        "palette index 3 out of range (PLTE has 3 entries) at pixel (x=1, y=0)");

    [Fact]
    public void Decode_PaletteWithoutPlte_Rejected() =>
        Reject(Palette(null, [0, 0, 0]), "missing PLTE: colour type 3 (palette) needs a PLTE chunk before IDAT");

    [Fact]
    public void Decode_PlteLengthNotMultipleOf3_Rejected() =>
        Reject(Palette([1, 2, 3, 4], [0, 0, 0]), "PLTE length 4 is not a multiple of 3 between 3 and 768");

    [Fact]
    public void Decode_PlteLargerThanBitDepthAllows_Rejected()
    {
        byte[] png = new PngBuilder().Ihdr(1, 1, 1, PngColorType.Palette).Chunk("PLTE", new byte[9])
            .Idat([0, 0]).Iend().ToArray();
        Reject(png, "PLTE has 3 entries, more than bit depth 1 can index");
    }

    [Fact]
    public void Decode_PlteInGreyImage_Rejected()
    {
        byte[] png = new PngBuilder().Ihdr(1, 1, 8, PngColorType.Grey).Chunk("PLTE", [1, 2, 3])
            .Idat([0, 0]).Iend().ToArray();
        Reject(png, "PLTE is not allowed for colour type 0 (Grey)");
    }

    [Fact]
    public void Decode_TrnsLongerThanPalette_Rejected() =>
        Reject(Palette([1, 2, 3], [0, 0, 0], trns: [1, 2]), "tRNS has 2 entries but PLTE has 1");

    [Fact]
    public void Decode_TrnsInRgbaImage_Rejected()
    {
        byte[] png = new PngBuilder().Ihdr(1, 1, 8, PngColorType.Rgba).Chunk("tRNS", [0, 0])
            .Idat([0, 1, 2, 3, 4]).Iend().ToArray();
        Reject(png, "tRNS is not allowed for colour type 6 (Rgba)");
    }

    [Fact]
    public void Decode_PaletteWithPartialTrns_AlphaFromTrnsThenOpaque()
    {
        byte[] png = Palette([10, 20, 30, 40, 50, 60], [0, 0, 1], trns: [128]);
        var image = PngDecoder.Decode(png);
        Assert.Equal(4, image.Channels);
        Assert.Equal(new byte[] { 10, 20, 30, 128, 40, 50, 60, 255 }, image.Pixels);
    }
}
