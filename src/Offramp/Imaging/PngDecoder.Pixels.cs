using System.IO.Compression;

namespace Offramp.Imaging;

public static partial class PngDecoder
{
    /// <summary>
    /// Inflates, unfilters and expands row by row: memory is the output image plus two rows, and the inflater
    /// is never asked for more than the header implies (one byte more, to detect excess data), so a zip bomb
    /// costs nothing beyond the limits checked before this runs.
    /// </summary>
    private static ByteImage DecodePixels(Chunks png, string? file)
    {
        var h = png.Header;
        int channels = h.ColorType switch
        {
            PngColorType.Grey => png.Transparency is null ? 1 : 2,
            PngColorType.GreyAlpha => 2,
            PngColorType.Rgb or PngColorType.Palette => png.Transparency is null ? 3 : 4,
            _ => 4,
        };
        var image = ByteImage.Create(h.Width, h.Height, channels);
        var expander = new RowExpander(h, png.Palette, png.Transparency, channels, file);
        int maxRow = (int)h.RowBytes(h.Width);
        byte[] line = new byte[1 + maxRow], prior = new byte[1 + maxRow];
        using var stream = new InflatedStream(png.Compressed, h, file);
        foreach (var (w, rows, pass) in h.Passes())
        {
            var (x0, y0, dx, dy) = pass < 0 ? (0, 0, 1, 1) : PngHeader.Adam7[pass];
            int rowBytes = (int)h.RowBytes(w);
            for (int r = 0; r < rows; r++)
            {
                var cur = line.AsSpan(0, 1 + rowBytes);
                stream.ReadRow(cur);
                Unfilter(cur[0], cur[1..], r == 0 ? default : prior.AsSpan(1, rowBytes), h.FilterStride, r, pass, file);
                int y = y0 + r * dy;
                expander.Expand(cur[1..], w, image.Pixels.AsSpan((y * h.Width + x0) * channels), x0, dx, y);
                (line, prior) = (prior, line);
            }
        }

        stream.CheckEnd();
        return image;
    }

    /// <summary>The zlib stream of the IDAT data, read in exact rows, with PNG error messages.</summary>
    private sealed class InflatedStream(byte[] compressed, PngHeader header, string? file) : IDisposable
    {
        private readonly ZLibStream _zlib =
            new(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
        private readonly long _expected = header.DecompressedLength();
        private long _read;

        public void ReadRow(Span<byte> row)
        {
            int filled = 0;
            while (filled < row.Length)
            {
                int n = Read(row[filled..]);
                if (n == 0)
                {
                    throw new ImageFormatException(file, $"too little image data: IDAT inflates to " +
                        $"{_read + filled} bytes, expected {_expected} ({Geometry(header)})");
                }

                filled += n;
            }

            _read += filled;
        }

        /// <summary>
        /// Asks for one byte past the expected end; this also makes zlib verify the Adler-32 checksum when it is
        /// present. (A stream cut exactly after the last row, before its checksum, reads as a clean end: the
        /// in-box inflater does not report truncation, and the pixels are complete.)
        /// </summary>
        public void CheckEnd()
        {
            if (Read(stackalloc byte[1]) > 0)
            {
                throw new ImageFormatException(file,
                    $"too much image data: IDAT inflates to more than {_expected} bytes ({Geometry(header)})");
            }
        }

        public void Dispose() => _zlib.Dispose();

        private int Read(Span<byte> buffer)
        {
            try
            {
                return _zlib.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new ImageFormatException(file, $"corrupt zlib stream in IDAT: {e.Message}", e);
            }
        }
    }

    private static string Geometry(PngHeader h) => h.Interlaced
        ? $"{h.Width}×{h.Height} Adam7 at {h.BitsPerPixel} bits per pixel"
        : $"{h.Height} rows × (1 + {h.RowBytes(h.Width)}) bytes";

    // line: (rowBytes), prior: (rowBytes) or empty for the first row, bpp = filter stride in bytes.
    // Reverses the row's filter in place (PNG spec §9.2).
    private static void Unfilter(
        byte filter, Span<byte> line, ReadOnlySpan<byte> prior, int bpp, int row, int pass, string? file)
    {
        bool first = prior.IsEmpty;
        switch (filter)
        {
            case 0:
                break;
            case 1: // Sub: + left
                for (int i = bpp; i < line.Length; i++)
                {
                    line[i] += line[i - bpp];
                }

                break;
            case 2: // Up: + above
                if (!first)
                {
                    for (int i = 0; i < line.Length; i++)
                    {
                        line[i] += prior[i];
                    }
                }

                break;
            case 3: // Average: + floor((left + above) / 2)
                for (int i = 0; i < line.Length; i++)
                {
                    int left = i >= bpp ? line[i - bpp] : 0, up = first ? 0 : prior[i];
                    line[i] += (byte)((left + up) >> 1);
                }

                break;
            case 4: // Paeth: + the neighbour nearest left + above − upper-left
                for (int i = 0; i < line.Length; i++)
                {
                    int a = i >= bpp ? line[i - bpp] : 0;
                    int b = first ? 0 : prior[i];
                    int c = i >= bpp && !first ? prior[i - bpp] : 0;
                    line[i] += (byte)Paeth(a, b, c);
                }

                break;
            default:
                string where = pass < 0 ? $"row {row}" : $"row {row} of Adam7 pass {pass + 1}";
                throw new ImageFormatException(file, $"invalid filter type {filter} on {where} (expected 0–4)");
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Turns one unfiltered row of file samples into 8-bit output pixels.</summary>
    private sealed class RowExpander(PngHeader h, byte[]? palette, byte[]? transparency, int channels, string? file)
    {
        private readonly int _depth = h.BitDepth;
        private readonly int _samples = h.SamplesPerPixel;

        // row: file samples of `width` pixels; dst: the image from pixel (x0, y) on; row pixels land `step` apart.
        public void Expand(ReadOnlySpan<byte> row, int width, Span<byte> dst, int x0, int step, int y)
        {
            if (_depth == 8 && transparency is null && h.ColorType != PngColorType.Palette && step == 1)
            {
                row[..(width * _samples)].CopyTo(dst);
                return;
            }

            for (int x = 0; x < width; x++)
            {
                var px = dst.Slice(x * step * channels, channels);
                int s = x * _samples;
                switch (h.ColorType)
                {
                    case PngColorType.Palette:
                        int index = Sample(row, s);
                        if (index * 3 >= palette!.Length)
                        {
                            throw new ImageFormatException(file, $"palette index {index} out of range " +
                                $"(PLTE has {palette.Length / 3} entries) at pixel (x={x0 + x * step}, y={y})");
                        }

                        palette.AsSpan(index * 3, 3).CopyTo(px);
                        if (transparency is not null)
                        {
                            px[3] = index < transparency.Length ? transparency[index] : (byte)255;
                        }

                        break;
                    case PngColorType.Grey or PngColorType.Rgb when transparency is not null:
                        bool key = true;
                        for (int c = 0; c < _samples; c++)
                        {
                            int v = Sample(row, s + c);
                            key &= v == (transparency[2 * c] << 8 | transparency[2 * c + 1]);
                            px[c] = To8(v);
                        }

                        px[_samples] = key ? (byte)0 : (byte)255;
                        break;
                    default:
                        for (int c = 0; c < _samples; c++)
                        {
                            px[c] = To8(Sample(row, s + c));
                        }

                        break;
                }
            }
        }

        private int Sample(ReadOnlySpan<byte> row, int i) => _depth switch
        {
            8 => row[i],
            16 => row[2 * i] << 8 | row[2 * i + 1],
            _ => row[(i * _depth) >> 3] >> (8 - _depth - ((i * _depth) & 7)) & ((1 << _depth) - 1),
        };

        // 16-bit keeps the high byte (png_set_strip_16); 1/2/4-bit grey scales to 0–255 (1→255, 3→255, 15→255).
        private byte To8(int v) => _depth switch
        {
            8 => (byte)v,
            16 => (byte)(v >> 8),
            _ => (byte)(v * 255 / ((1 << _depth) - 1)),
        };
    }
}
