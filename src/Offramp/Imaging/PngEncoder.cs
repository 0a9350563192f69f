using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

using Offramp.Engine.IO;

namespace Offramp.Imaging;

/// <summary>
/// A minimal PNG encoder: 8 bits per sample, colour type from the channel count (1 grey, 2 grey+alpha,
/// 3 RGB, 4 RGBA), filter None on every row, one zlib-compressed IDAT, no ancillary chunks. Used to export
/// images and by tests to build inputs; the output is deterministic for a given zlib build.
/// </summary>
public static class PngEncoder
{
    /// <summary>Encodes <paramref name="image"/> as a complete PNG file.</summary>
    /// <param name="image">The pixels; every channel count 1–4 is supported.</param>
    /// <param name="level">zlib compression level.</param>
    public static byte[] Encode(ByteImage image, CompressionLevel level = CompressionLevel.Optimal)
    {
        int stride = image.Width * image.Channels;
        var raw = new byte[(long)image.Height * (1 + stride)];
        for (int y = 0; y < image.Height; y++)
        {
            // raw[y * (1 + stride)] stays 0: filter type None.
            image.Pixels.AsSpan(y * stride, stride).CopyTo(raw.AsSpan(y * (1 + stride) + 1));
        }

        var colorType = image.Channels switch
        {
            1 => PngColorType.Grey,
            2 => PngColorType.GreyAlpha,
            3 => PngColorType.Rgb,
            _ => PngColorType.Rgba,
        };
        using var ms = new MemoryStream();
        ms.Write(PngDecoder.Signature);
        WriteChunk(ms, "IHDR", Header(image.Width, image.Height, 8, colorType));
        WriteChunk(ms, "IDAT", Compress(raw, level));
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>Encodes <paramref name="image"/> and writes it to <paramref name="path"/> atomically.</summary>
    /// <remarks>The bytes go to a temporary file in the same folder, which then replaces <paramref name="path"/>,
    /// so a reader never sees a half-written image.</remarks>
    public static void Save(ByteImage image, string path)
    {
        AtomicFile.WriteAllBytes(path, Encode(image));
    }

    /// <summary>The 13 IHDR bytes (compression, filter and interlace methods 0).</summary>
    internal static byte[] Header(int width, int height, int bitDepth, PngColorType colorType, int interlace = 0)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), (uint)height);
        d[8] = (byte)bitDepth;
        d[9] = (byte)colorType;
        d[12] = (byte)interlace;
        return d;
    }

    /// <summary>Writes one chunk: length, type, data, CRC-32 of type and data.</summary>
    internal static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        s.Write(word);
        byte[] name = Encoding.ASCII.GetBytes(type);
        s.Write(name);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(name, data));
        s.Write(word);
    }

    /// <summary>A zlib stream (RFC 1950) of <paramref name="raw"/>.</summary>
    internal static byte[] Compress(ReadOnlySpan<byte> raw, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, level, leaveOpen: true))
        {
            z.Write(raw);
        }

        return ms.ToArray();
    }
}
