using System.Buffers.Binary;
using System.IO.Compression;

namespace Offramp.Tests.Data;

/// <summary>Builds IDX file contents (and gzip versions) for tests, including deliberately broken ones.</summary>
internal static class IdxBytes
{
    /// <summary>Header bytes: 00 00 type rank, then each dimension as a big-endian uint32.</summary>
    public static byte[] Header(byte type, params uint[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        }

        return h;
    }

    /// <summary>A complete unsigned-byte IDX file.</summary>
    public static byte[] UByte(byte[] data, params uint[] dims) => [.. Header(0x08, dims), .. data];

    /// <summary>An unsigned-byte IDX file of the given shape whose payload is i mod 251.</summary>
    public static byte[] UByteOfShape(params uint[] dims)
    {
        long n = 1;
        foreach (uint d in dims)
        {
            n *= d;
        }

        var data = new byte[n];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i % 251);
        }

        return UByte(data, dims);
    }

    /// <summary>Gzip-compresses <paramref name="content"/>.</summary>
    public static byte[] Gzip(byte[] content)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(content);
        }

        return ms.ToArray();
    }
}
