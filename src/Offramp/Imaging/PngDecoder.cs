using System.Text;

namespace Offramp.Imaging;

/// <summary>
/// A hardened PNG decoder (PNG spec, 3rd edition / ISO 15948) over the in-box zlib. It treats every byte as
/// hostile: sizes are checked before allocation, every chunk CRC is verified, the inflater is capped at the
/// exact size the header implies, and every failure is an <see cref="ImageFormatException"/> naming the file,
/// the chunk and the offset.
/// </summary>
/// <remarks>
/// <para>Supported: colour types 0, 2, 3, 4, 6 at every bit depth the spec allows (1/2/4/8/16), all five
/// filter types, Adam7 interlacing, tRNS transparency (palette alpha or a colour key, which adds an alpha
/// channel), any number of consecutive IDAT chunks.</para>
/// <para>Output is 8 bits per sample: 16-bit samples keep their high byte (libpng's <c>png_set_strip_16</c>,
/// PIL's behaviour for RGB), 1/2/4-bit grey is scaled to 0–255 (a 1-bit 1 becomes 255), palette images are
/// expanded to RGB (RGBA with tRNS).</para>
/// <para>Rejected: a bad signature, a truncated or oversize chunk, any CRC mismatch (ancillary chunks too),
/// a missing or misplaced IHDR, an invalid IHDR, unknown critical chunks, PLTE missing for a palette image,
/// PLTE or tRNS where the colour type forbids them, non-consecutive IDAT chunks, a decompressed stream shorter
/// or longer than the header implies, a corrupt zlib stream, an invalid filter byte, an out-of-range palette
/// index and a missing IEND. Ancillary chunks other than tRNS are skipped (after their CRC check); bytes after
/// IEND are ignored, as libpng does.</para>
/// </remarks>
public static partial class PngDecoder
{
    /// <summary>The 8-byte PNG signature: \x89 P N G \r \n \x1a \n.</summary>
    internal static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Reads and decodes a PNG file.</summary>
    /// <param name="path">The file; its name appears in every error message.</param>
    /// <param name="options">Safety limits; <see cref="PngDecoderOptions.Default"/> when null.</param>
    /// <exception cref="ImageFormatException">The file is not a valid, supported PNG or exceeds a limit.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ByteImage Load(string path, PngDecoderOptions? options = null)
    {
        options ??= PngDecoderOptions.Default;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length > options.MaxFileBytes)
        {
            throw new ImageFormatException(path, $"file is {length} bytes, above the {options.MaxFileBytes}-byte limit");
        }

        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return Decode(bytes, path, options);
    }

    /// <summary>Decodes a PNG held in memory.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="sourceName">A name for error messages (a file name), or null.</param>
    /// <param name="options">Safety limits; <see cref="PngDecoderOptions.Default"/> when null.</param>
    /// <returns>The pixels at 8 bits per sample; see the remarks of <see cref="PngDecoder"/> for the layout.</returns>
    /// <exception cref="ImageFormatException">The data is not a valid, supported PNG or exceeds a limit.</exception>
    public static ByteImage Decode(ReadOnlySpan<byte> data, string? sourceName = null, PngDecoderOptions? options = null)
    {
        var png = ReadChunks(data, sourceName, options ?? PngDecoderOptions.Default);
        return DecodePixels(png, sourceName);
    }

    /// <summary>What the chunk walk keeps: the header, palette, transparency and the concatenated IDAT data.</summary>
    private sealed record Chunks(PngHeader Header, byte[]? Palette, byte[]? Transparency, byte[] Compressed);

    private static Chunks ReadChunks(ReadOnlySpan<byte> data, string? file, PngDecoderOptions options)
    {
        if (data.Length < 8 || !data[..8].SequenceEqual(Signature))
        {
            string what = data.Length < 8 && data.SequenceEqual(Signature[..data.Length])
                ? $"truncated signature ({data.Length} of 8 bytes)"
                : "not a PNG file (bad signature)";
            throw new ImageFormatException(file, what);
        }

        PngHeader? header = null;
        byte[]? palette = null, transparency = null;
        var idat = new List<Range>();
        long idatBytes = 0;
        string? previous = null;
        int pos = 8;
        while (true)
        {
            if (pos == data.Length)
            {
                throw new ImageFormatException(file, header is null
                    ? $"missing IHDR: the file ends at offset {pos}"
                    : $"missing IEND: the file ends at offset {pos}");
            }

            if (data.Length - pos < 12)
            {
                throw new ImageFormatException(
                    file, $"truncated chunk at offset {pos}: {data.Length - pos} bytes left, a chunk needs at least 12");
            }

            uint length = PngHeader.ReadU32(data[pos..]);
            var typeBytes = data.Slice(pos + 4, 4);
            string type = ChunkName(typeBytes, pos, file);
            if (length > int.MaxValue)
            {
                throw new ImageFormatException(file, $"chunk {type} at offset {pos} has invalid length {length}");
            }

            if (data.Length - pos - 12 < length)
            {
                throw new ImageFormatException(file, $"truncated chunk {type} at offset {pos}: " +
                    $"needs {length} data bytes + 4 CRC bytes, {data.Length - pos - 8} bytes left");
            }

            var body = data.Slice(pos + 8, (int)length);
            uint stored = PngHeader.ReadU32(data[(pos + 8 + (int)length)..]);
            uint computed = Crc32.Compute(typeBytes, body);
            if (stored != computed)
            {
                throw new ImageFormatException(
                    file, $"CRC mismatch in {type} at offset {pos} (stored 0x{stored:X8}, computed 0x{computed:X8})");
            }

            if (header is null && type != "IHDR")
            {
                throw new ImageFormatException(file, $"missing IHDR: the first chunk is {type} at offset {pos}");
            }

            bool afterIdat = idat.Count > 0;
            switch (type)
            {
                case "IHDR":
                    if (header is not null)
                    {
                        throw new ImageFormatException(file, $"duplicate IHDR at offset {pos}");
                    }

                    header = PngHeader.Parse(body, options, file);
                    break;
                case "PLTE":
                    palette = ReadPalette(body, header!, palette is not null, afterIdat, pos, file);
                    break;
                case "tRNS":
                    transparency = ReadTransparency(body, header!, palette, afterIdat, pos, file);
                    break;
                case "IDAT":
                    if (afterIdat && previous != "IDAT")
                    {
                        throw new ImageFormatException(
                            file, $"IDAT chunks are not consecutive: IDAT at offset {pos} follows {previous}");
                    }

                    if (header!.ColorType == PngColorType.Palette && palette is null)
                    {
                        throw new ImageFormatException(
                            file, "missing PLTE: colour type 3 (palette) needs a PLTE chunk before IDAT");
                    }

                    idat.Add(new Range(pos + 8, pos + 8 + (int)length));
                    idatBytes += length;
                    break;
                case "IEND":
                    if (length != 0)
                    {
                        throw new ImageFormatException(file, $"IEND at offset {pos} has length {length}, expected 0");
                    }

                    if (idat.Count == 0)
                    {
                        throw new ImageFormatException(file, "no IDAT chunk before IEND");
                    }

                    // Bytes after IEND are ignored, as libpng does.
                    return new Chunks(header!, palette, transparency, Concat(data, idat, idatBytes));
                default:
                    if ((typeBytes[0] & 0x20) == 0)
                    {
                        throw new ImageFormatException(file, $"unknown critical chunk {type} at offset {pos}");
                    }

                    break; // Ancillary (lowercase first letter): safe to skip, spec §5.4.
            }

            previous = type;
            pos += 12 + (int)length;
        }
    }

    private static string ChunkName(ReadOnlySpan<byte> type, int pos, string? file)
    {
        foreach (byte b in type)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                throw new ImageFormatException(
                    file, $"invalid chunk type 0x{Convert.ToHexString(type)} at offset {pos} (not 4 ASCII letters)");
            }
        }

        return Encoding.ASCII.GetString(type);
    }

    private static byte[] ReadPalette(
        ReadOnlySpan<byte> body, PngHeader header, bool duplicate, bool afterIdat, int pos, string? file)
    {
        if (duplicate)
        {
            throw new ImageFormatException(file, $"duplicate PLTE at offset {pos}");
        }

        if (afterIdat)
        {
            throw new ImageFormatException(file, $"PLTE at offset {pos} comes after IDAT");
        }

        if (header.ColorType is PngColorType.Grey or PngColorType.GreyAlpha)
        {
            throw new ImageFormatException(
                file, $"PLTE is not allowed for colour type {(int)header.ColorType} ({header.ColorType})");
        }

        if (body.Length == 0 || body.Length % 3 != 0 || body.Length > 768)
        {
            throw new ImageFormatException(
                file, $"PLTE length {body.Length} is not a multiple of 3 between 3 and 768");
        }

        int entries = body.Length / 3;
        if (header.ColorType == PngColorType.Palette && entries > 1 << header.BitDepth)
        {
            throw new ImageFormatException(
                file, $"PLTE has {entries} entries, more than bit depth {header.BitDepth} can index");
        }

        return body.ToArray();
    }

    private static byte[] ReadTransparency(
        ReadOnlySpan<byte> body, PngHeader header, byte[]? palette, bool afterIdat, int pos, string? file)
    {
        if (afterIdat)
        {
            throw new ImageFormatException(file, $"tRNS at offset {pos} comes after IDAT");
        }

        int expected = header.ColorType switch
        {
            PngColorType.Grey => 2,
            PngColorType.Rgb => 6,
            PngColorType.Palette when palette is null =>
                throw new ImageFormatException(file, $"tRNS at offset {pos} comes before PLTE"),
            PngColorType.Palette => body.Length <= palette.Length / 3 ? body.Length : -1,
            _ => throw new ImageFormatException(
                file, $"tRNS is not allowed for colour type {(int)header.ColorType} ({header.ColorType})"),
        };
        if (body.Length != expected)
        {
            throw new ImageFormatException(file, header.ColorType == PngColorType.Palette
                ? $"tRNS has {body.Length} entries but PLTE has {palette!.Length / 3}"
                : $"tRNS length {body.Length} for colour type {(int)header.ColorType}, expected {expected}");
        }

        return body.ToArray();
    }

    private static byte[] Concat(ReadOnlySpan<byte> data, List<Range> parts, long total)
    {
        var all = new byte[total];
        int at = 0;
        foreach (var r in parts)
        {
            var part = data[r];
            part.CopyTo(all.AsSpan(at));
            at += part.Length;
        }

        return all;
    }
}
