namespace Offramp.Imaging;

/// <summary>The validated IHDR fields and the scanline geometry that follows from them.</summary>
internal sealed record PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Adam7 passes: x start, y start, x step, y step (PNG spec §8.2).</summary>
    internal static readonly (int X0, int Y0, int DX, int DY)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    /// <summary>Samples per pixel in the file (palette = 1 index).</summary>
    public int SamplesPerPixel => ColorType switch
    {
        PngColorType.Grey or PngColorType.Palette => 1,
        PngColorType.GreyAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    /// <summary>Bits per pixel in the file.</summary>
    public int BitsPerPixel => SamplesPerPixel * BitDepth;

    /// <summary>The byte distance the Sub/Average/Paeth filters look back (at least 1, spec §9.2).</summary>
    public int FilterStride => Math.Max(1, BitsPerPixel / 8);

    /// <summary>Bytes in one filtered row of <paramref name="width"/> pixels, without the filter byte.</summary>
    public long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;

    /// <summary>Exact length of the decompressed IDAT stream: every pass's rows, each with a filter byte.</summary>
    public long DecompressedLength()
    {
        long total = 0;
        foreach (var (w, h, _) in Passes())
        {
            total = checked(total + h * (1 + RowBytes(w)));
        }

        return total;
    }

    /// <summary>The sub-images stored in the stream: one for a plain image, up to seven (non-empty) for Adam7.</summary>
    public IEnumerable<(int Width, int Height, int Pass)> Passes()
    {
        if (!Interlaced)
        {
            yield return (Width, Height, -1);
            yield break;
        }

        for (int p = 0; p < Adam7.Length; p++)
        {
            var (x0, y0, dx, dy) = Adam7[p];
            int w = Width > x0 ? (Width - x0 + dx - 1) / dx : 0;
            int h = Height > y0 ? (Height - y0 + dy - 1) / dy : 0;
            if (w > 0 && h > 0)
            {
                yield return (w, h, p);
            }
        }
    }

    /// <summary>
    /// Parses and validates the 13 IHDR bytes: sizes against <paramref name="options"/> (before anything is
    /// allocated), the bit depth / colour type combination (spec table 11.1), and the method bytes.
    /// </summary>
    /// <exception cref="ImageFormatException">Any field is invalid or over a limit.</exception>
    public static PngHeader Parse(ReadOnlySpan<byte> d, PngDecoderOptions options, string? file)
    {
        if (d.Length != 13)
        {
            throw new ImageFormatException(file, $"IHDR has length {d.Length}, expected 13");
        }

        uint w = ReadU32(d), h = ReadU32(d[4..]);
        byte depth = d[8], color = d[9], compression = d[10], filter = d[11], interlace = d[12];
        if (w == 0 || h == 0)
        {
            throw new ImageFormatException(file, $"invalid size {w}×{h}: width and height must be > 0");
        }

        if (w > int.MaxValue || h > int.MaxValue)
        {
            throw new ImageFormatException(file, $"invalid size {w}×{h}: dimensions must be below 2^31");
        }

        if (w > options.MaxWidth || h > options.MaxHeight)
        {
            throw new ImageFormatException(
                file, $"{w}×{h} exceeds the {options.MaxWidth}×{options.MaxHeight} limit");
        }

        if ((long)w * h > options.MaxPixels)
        {
            throw new ImageFormatException(
                file, $"{w}×{h} = {(long)w * h} pixels exceeds the {options.MaxPixels}-pixel limit");
        }

        bool depthOk = color switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => throw new ImageFormatException(file, $"invalid colour type {color} (expected 0, 2, 3, 4 or 6)"),
        };
        if (!depthOk)
        {
            throw new ImageFormatException(
                file, $"invalid bit depth {depth} for colour type {color} ({(PngColorType)color})");
        }

        if (compression != 0)
        {
            throw new ImageFormatException(file, $"unknown compression method {compression}");
        }

        if (filter != 0)
        {
            throw new ImageFormatException(file, $"unknown filter method {filter}");
        }

        if (interlace > 1)
        {
            throw new ImageFormatException(file, $"unknown interlace method {interlace}");
        }

        var header = new PngHeader((int)w, (int)h, depth, (PngColorType)color, interlace == 1);
        // The larger of the inflated stream and the 8-bit output (at most 4 bytes per pixel) must fit an array.
        long length = Math.Max(header.DecompressedLength(), (long)w * h * 4);
        if (length > Array.MaxLength)
        {
            throw new ImageFormatException(file, $"{w}×{h} at {header.BitsPerPixel} bits per pixel needs {length} " +
                $"bytes of pixel memory, above the {Array.MaxLength}-byte array limit");
        }

        return header;
    }

    internal static uint ReadU32(ReadOnlySpan<byte> d) =>
        (uint)(d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]);
}
