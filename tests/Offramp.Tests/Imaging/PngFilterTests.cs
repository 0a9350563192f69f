using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

/// <summary>PNGs whose scanlines the test filters itself, one filter type (or a mix) per image.</summary>
public class PngFilterTests
{
    public static TheoryData<int, PngColorType, int> Cases()
    {
        var data = new TheoryData<int, PngColorType, int>();
        foreach (int filter in new[] { 0, 1, 2, 3, 4, -1 })
        {
            data.Add(filter, PngColorType.Rgb, 8);
            data.Add(filter, PngColorType.Grey, 8);
            data.Add(filter, PngColorType.GreyAlpha, 16);
            data.Add(filter, PngColorType.Grey, 4);
        }

        return data;
    }

    /// <summary>filter −1 cycles through all five types row by row.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_FilteredScanlines_ReconstructsRows(int filter, PngColorType color, int depth)
    {
        const int width = 7, height = 6;
        int samples = color switch { PngColorType.Rgb => 3, PngColorType.GreyAlpha => 2, _ => 1 };
        int rowBytes = (width * samples * depth + 7) / 8;
        int bpp = Math.Max(1, samples * depth / 8);
        var rows = new byte[height][];
        var lines = new List<byte>();
        for (int y = 0; y < height; y++)
        {
            // Large jumps between neighbours make every predictor wrap around modulo 256.
            rows[y] = Enumerable.Range(0, rowBytes).Select(i => (byte)((i * 71 + y * 113 + i * i * 5) & 0xFF)).ToArray();
            lines.AddRange(PngBuilder.Filter(filter < 0 ? y % 5 : filter, rows[y], y > 0 ? rows[y - 1] : null, bpp));
        }

        var png = new PngBuilder().Ihdr(width, height, depth, color).Idat([.. lines]).Iend().ToArray();
        var image = PngDecoder.Decode(png);

        var expected = new List<byte>();
        foreach (var row in rows)
        {
            for (int s = 0; s < width * samples; s++)
            {
                expected.Add(depth switch
                {
                    16 => row[2 * s],
                    8 => row[s],
                    _ => (byte)(((row[s / 2] >> (s % 2 == 0 ? 4 : 0)) & 0xF) * 17),
                });
            }
        }

        Assert.Equal(expected, image.Pixels);
    }

    [Fact]
    public void Decode_IdatSplitIntoManyChunks_SameAsOneChunk()
    {
        byte[] rows = PngBuilder.Unfiltered([1, 2, 3], [4, 5, 6], [7, 8, 9]);
        byte[] z = PngEncoder.Compress(rows);
        var builder = new PngBuilder().Ihdr(3, 3, 8, PngColorType.Grey);
        foreach (var piece in z.Chunk(3))
        {
            builder.Chunk("IDAT", piece);
        }

        builder.Chunk("IDAT", []); // zero-length IDAT is legal
        var image = PngDecoder.Decode(builder.Iend().ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, image.Pixels);
    }

    [Fact]
    public void Decode_AncillaryChunksAndTrailingBytes_Ignored()
    {
        byte[] png = new PngBuilder()
            .Ihdr(2, 1, 8, PngColorType.Grey)
            .Chunk("tEXt", "Comment\0hello"u8.ToArray())
            .Chunk("gAMA", [0, 0, 177, 143])
            .Idat(PngBuilder.Unfiltered([9, 250]))
            .Chunk("zzZz", [1, 2, 3])
            .Iend()
            .Raw([0xDE, 0xAD, 0xBE, 0xEF, 0, 1])
            .ToArray();
        Assert.Equal(new byte[] { 9, 250 }, PngDecoder.Decode(png).Pixels);
    }
}
