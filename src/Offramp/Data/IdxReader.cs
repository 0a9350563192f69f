using System.Diagnostics;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Offramp.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST), raw or gzip-compressed, treating every byte as hostile.
/// </summary>
/// <remarks>
/// <para>Layout (LeCun, "THE MNIST DATABASE"): two zero bytes, an element-type byte (<see cref="IdxElementType"/>),
/// a dimension-count byte, one big-endian <c>uint32</c> per dimension, then the elements in row-major order,
/// big-endian.</para>
/// <para>Gzip is detected by its magic bytes <c>1F 8B</c>, not by the file name. Before anything is allocated the
/// header is validated: magic, element type, 1 to <see cref="MaxDimensions"/> dimensions, every dimension
/// ≥ 1 and ≤ 2³¹−1, the payload size computed with overflow-checked arithmetic and bounded by
/// <see cref="Array.MaxLength"/>, by the file length (raw) or by the largest expansion deflate allows (gzip,
/// 1032:1; a gzip payload above 64 MiB that would also be more than 64 times the compressed size is first
/// counted by a decompression pass, so a lying header never causes a large allocation). The payload must then
/// be exactly as long as promised: missing bytes (truncated) and extra bytes
/// (trailing data, or a gzip stream that decompresses to more) are errors; decompression never reads more than
/// one byte past the promised size. A gzip file must be a single member whose trailer is intact (zlib checks its
/// CRC-32 and length; a trailer cut short is caught by comparing the length field with the data). Either the whole
/// file loads or an <see cref="IdxFormatException"/> is thrown.</para>
/// </remarks>
public static class IdxReader
{
    /// <summary>Largest number of dimensions accepted.</summary>
    public const int MaxDimensions = 4;

    // 10-byte header, an empty deflate block (2 bytes), 8-byte trailer.
    private const int MinGzipLength = 20;

    // A gzip payload is allocated at once when it is at most this large or at most TrustedGzipRatio times the
    // compressed size (image data compresses 2–10×); beyond that its length is counted first.
    private const long TrustedGzipBytes = 64L << 20;
    private const long TrustedGzipRatio = 64;

    // Deflate's largest possible expansion (RFC 1951 bound used by zlib's deflateBound reasoning): 1032:1.
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads a whole IDX file (raw or gzip).</summary>
    /// <param name="path">The file; gzip is detected by content.</param>
    /// <returns>The validated array.</returns>
    /// <exception cref="IdxFormatException">The file is not a well-formed IDX file; the message starts with the
    /// file name and states the reason.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IdxArray Read(string path)
    {
        string name = Path.GetFileName(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = fs.Length;
        if (length == 0)
        {
            throw new IdxFormatException(name, "empty file (0 bytes)");
        }

        Span<byte> head = stackalloc byte[2];
        int got = ReadUpTo(fs, head, name);
        fs.Position = 0;
        if (got == 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            if (length < MinGzipLength)
            {
                throw new IdxFormatException(
                    name,
                    $"corrupt gzip data: {length} bytes is shorter than the smallest gzip stream ({MinGzipLength})");
            }

            // The trailer (RFC 1952: CRC-32, then the length mod 2^32, little-endian) — see CheckTrailerSize.
            Span<byte> trailer = stackalloc byte[8];
            fs.Position = length - 8;
            fs.ReadExactly(trailer);
            fs.Position = 0;
            uint trailerSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
            using var z = new GZipStream(fs, CompressionMode.Decompress, leaveOpen: true);
            return ReadCore(
                z, name, rawLength: -1, gzipLength: length, trailerSize, limit => CountGzip(path, name, limit));
        }

        return ReadCore(fs, name, rawLength: length, gzipLength: -1, trailerSize: null, countGzip: null);
    }

    /// <summary>Formats a shape as <c>60000×28×28</c>.</summary>
    internal static string FormatShape(ReadOnlySpan<int> shape) => string.Join("×", shape.ToArray());

    /// <summary>Size in bytes of one element of the given type.</summary>
    internal static int ElementSize(IdxElementType t) => t switch
    {
        IdxElementType.UByte or IdxElementType.SByte => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not an IDX element type"),
    };

    // rawLength: file length of an uncompressed file, else -1; gzipLength: compressed length, else -1;
    // trailerSize: the gzip trailer's length field; countGzip(limit): the file's decompressed length, up to limit.
    private static IdxArray ReadCore(
        Stream s, string name, long rawLength, long gzipLength, uint? trailerSize, Func<long, long>? countGzip)
    {
        bool gz = gzipLength >= 0;
        var h = ReadHeader(s, name, gz);
        string promise = $"header promises {FormatShape(h.Shape)}" +
            $"{(h.ElementSize > 1 ? $"×{h.ElementSize}" : "")} = {h.PayloadBytes} bytes";
        if (h.PayloadBytes > Array.MaxLength)
        {
            throw new IdxFormatException(name, $"{promise}, more than one array can hold ({Array.MaxLength})");
        }

        if (!gz)
        {
            long dataLength = rawLength - h.Length;
            if (dataLength < h.PayloadBytes)
            {
                throw new IdxFormatException(
                    name, $"truncated: {promise}, the file has {dataLength} after the {h.Length}-byte header");
            }

            if (dataLength > h.PayloadBytes)
            {
                throw new IdxFormatException(
                    name,
                    $"{dataLength - h.PayloadBytes} trailing bytes: {promise}, " +
                    $"the file has {dataLength} after the header");
            }
        }
        else if (h.PayloadBytes > checked(gzipLength * MaxDeflateRatio) + 1024)
        {
            throw new IdxFormatException(
                name,
                $"impossible size: {promise}, but {gzipLength} bytes of gzip data can expand to at most " +
                $"{gzipLength * MaxDeflateRatio}");
        }

        else if (h.PayloadBytes > Math.Max(TrustedGzipBytes, gzipLength * TrustedGzipRatio))
        {
            // Possible but unusually compressible: check the data is really there before allocating for it.
            long total = countGzip!(h.Length + h.PayloadBytes + 1) - h.Length;
            if (total < h.PayloadBytes)
            {
                throw new IdxFormatException(
                    name, $"truncated: {promise}, {Have(gz, total)} after the {h.Length}-byte header");
            }
        }

        // Only now, with the size bounded by the file or its data counted, is anything allocated.
        Array data = Allocate(h.Type, (int)(h.PayloadBytes / h.ElementSize));
        Span<byte> payload = MemoryMarshal.AsBytes(SpanOf(data));
        Debug.Assert(payload.Length == h.PayloadBytes);
        int got = ReadUpTo(s, payload, name);
        if (got < h.PayloadBytes)
        {
            throw new IdxFormatException(
                name, $"truncated: {promise}, {Have(gz, got)} after the {h.Length}-byte header");
        }

        if (gz)
        {
            // One byte past the promise is enough to know it is too long; reading to the end also makes the
            // decompressor check the gzip trailer (CRC-32 and length) when the size is right.
            Span<byte> probe = stackalloc byte[1];
            if (ReadUpTo(s, probe, name) != 0)
            {
                throw new IdxFormatException(
                    name, $"the gzip data decompresses to more than promised: {promise}, found extra bytes after them");
            }

            CheckTrailerSize(name, trailerSize!.Value, h.Length + h.PayloadBytes);
        }

        ToNativeEndian(data);
        return new IdxArray(name, h.Type, h.Shape, data);
    }

    private static string Have(bool gz, long n) => gz ? $"the gzip data decompresses to {n}" : $"the file has {n}";

    // Reads and validates magic, type, rank and dimensions; computes the payload size with checked arithmetic.
    private static Header ReadHeader(Stream s, string name, bool gz)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = ReadUpTo(s, magic, name);
        if (got < 4)
        {
            throw new IdxFormatException(
                name, $"truncated header: an IDX file starts with 4 magic bytes, {Have(gz, got)}");
        }

        if (magic[0] != 0 || magic[1] != 0)
        {
            throw new IdxFormatException(
                name,
                $"bad magic number 0x{magic[0]:X2}{magic[1]:X2}{magic[2]:X2}{magic[3]:X2}: " +
                "an IDX file starts with two zero bytes");
        }

        var type = (IdxElementType)magic[2];
        if (!Enum.IsDefined(type))
        {
            throw new IdxFormatException(
                name,
                $"unsupported element type 0x{magic[2]:X2} (IDX types: 0x08 ubyte, 0x09 sbyte, 0x0B int16, " +
                "0x0C int32, 0x0D float32, 0x0E float64)");
        }

        int rank = magic[3];
        if (rank < 1 || rank > MaxDimensions)
        {
            throw new IdxFormatException(name, $"{rank} dimensions; expected 1 to {MaxDimensions}");
        }

        int headerLength = 4 + 4 * rank;
        Span<byte> dimBytes = stackalloc byte[4 * rank];
        got = ReadUpTo(s, dimBytes, name);
        if (got < dimBytes.Length)
        {
            throw new IdxFormatException(
                name,
                $"truncated header: {rank} dimensions need a {headerLength}-byte header, {Have(gz, 4 + got)} bytes");
        }

        var raw = new uint[rank];
        for (int i = 0; i < rank; i++)
        {
            raw[i] = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * i)..]);
        }

        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (raw[i] == 0 || raw[i] > int.MaxValue)
            {
                string why = raw[i] == 0 ? "every dimension must be at least 1" : "more than 2^31-1";
                throw new IdxFormatException(
                    name, $"dimension {i} is {raw[i]} (shape {string.Join("×", raw)}): {why}");
            }

            shape[i] = (int)raw[i];
        }

        int elementSize = ElementSize(type);
        try
        {
            long bytes = elementSize;
            foreach (int d in shape)
            {
                bytes = checked(bytes * d);
            }

            return new Header(type, shape, headerLength, elementSize, bytes);
        }
        catch (OverflowException)
        {
            throw new IdxFormatException(
                name, $"shape {FormatShape(shape)} overflows: its size does not fit in 64 bits");
        }
    }

    private readonly record struct Header(
        IdxElementType Type, int[] Shape, int Length, int ElementSize, long PayloadBytes);

    // Decompresses the file once without keeping the data; returns its length, counting at most limit bytes.
    private static long CountGzip(string path, string name, long limit)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var z = new GZipStream(fs, CompressionMode.Decompress);
        var buffer = new byte[1 << 16];
        long total = 0;
        while (total < limit)
        {
            int n = ReadUpTo(z, buffer.AsSpan(0, (int)Math.Min(buffer.Length, limit - total)), name);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    // zlib checks the CRC-32 and length itself when the trailer is complete; a trailer cut short is reported by
    // GZipStream as a normal end, so the length is compared here with the last 4 bytes of the file (a file cut
    // anywhere else matches them by chance with probability 2^-32).
    private static void CheckTrailerSize(string name, uint trailerSize, long decompressed)
    {
        uint size = unchecked((uint)decompressed);
        if (size != trailerSize)
        {
            throw new IdxFormatException(
                name,
                $"corrupt gzip data: the data is {decompressed} bytes long but the last 4 bytes of the file say " +
                $"{trailerSize} (mod 2^32): file cut inside the gzip trailer, or a multi-member gzip file, " +
                "which is not supported");
        }
    }

    private static Array Allocate(IdxElementType type, int count) => type switch
    {
        IdxElementType.UByte => new byte[count],
        IdxElementType.SByte => new sbyte[count],
        IdxElementType.Int16 => new short[count],
        IdxElementType.Int32 => new int[count],
        IdxElementType.Float32 => new float[count],
        _ => new double[count],
    };

    private static Span<byte> SpanOf(Array data) => data switch
    {
        byte[] a => a,
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new UnreachableException(),
    };

    // IDX is big-endian; the bytes were read as-is into the native array.
    private static void ToNativeEndian(Array data)
    {
        if (!BitConverter.IsLittleEndian)
        {
            return;
        }

        switch (data)
        {
            case short[] a:
                BinaryPrimitives.ReverseEndianness(a, a);
                break;
            case int[] a:
                BinaryPrimitives.ReverseEndianness(a, a);
                break;
            case float[] a:
                var fi = MemoryMarshal.Cast<float, int>(a.AsSpan());
                BinaryPrimitives.ReverseEndianness(fi, fi);
                break;
            case double[] a:
                var dl = MemoryMarshal.Cast<double, long>(a.AsSpan());
                BinaryPrimitives.ReverseEndianness(dl, dl);
                break;
        }
    }

    // Reads until the span is full or the stream ends; returns the count read. Decompression errors become
    // IdxFormatExceptions naming the file.
    private static int ReadUpTo(Stream s, Span<byte> dst, string name)
    {
        int total = 0;
        try
        {
            while (total < dst.Length)
            {
                int n = s.Read(dst[total..]);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(name, $"corrupt gzip data (decompressor: {e.Message})", e);
        }

        return total;
    }
}
