using System.Buffers.Binary;

namespace Offramp.Engine.IO;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors), the way weights move between Offramp and
/// PyTorch: <c>safetensors.torch.save_file</c>/<c>load_file</c> on the Python side.
/// </summary>
/// <remarks>
/// <para>Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping tensor names to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the first byte after the header)
/// plus an optional <c>"__metadata__"</c> object of strings, then the data buffer.</para>
/// <para>Reading treats every byte as hostile. The header length is checked against the file length and capped at
/// <see cref="MaxHeaderBytes"/> before anything is allocated; the JSON must be an object without duplicate keys;
/// every entry must have exactly the three fields, a known dtype, non-negative integer dimensions whose product
/// (overflow-checked) times the element size equals its byte range; the ranges must tile the data buffer exactly,
/// without gaps, overlaps or trailing bytes. Anything else is a <see cref="SafetensorsFormatException"/> naming the
/// file, the tensor and the reason, thrown before any tensor is returned.</para>
/// <para>Offramp limits on top of the format: a dimension must fit in <see cref="int"/>, a tensor may hold at most
/// <see cref="int.MaxValue"/> elements, and its bytes must fit in one .NET array.</para>
/// </remarks>
public static partial class Safetensors
{
    /// <summary>The header key that holds the string → string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted or written, in bytes (100 MB, the official implementation's cap).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>Reads and validates a whole safetensors file.</summary>
    /// <param name="path">The file; its path appears in every error message.</param>
    /// <returns>The tensors (in data-offset order) and metadata.</returns>
    /// <exception cref="SafetensorsFormatException">The file breaks a rule of the format.</exception>
    /// <exception cref="IOException">The file cannot be opened or read (e.g. <see cref="FileNotFoundException"/>).</exception>
    public static SafetensorsFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return ReadSeekable(fs, fs.Length, path);
    }

    /// <summary>Reads and validates safetensors data from the current position of <paramref name="stream"/> to its end.</summary>
    /// <param name="stream">The data; a non-seekable stream is first copied to memory.</param>
    /// <param name="source">A name for error messages (e.g. the file it came from); null for none.</param>
    /// <exception cref="SafetensorsFormatException">The data breaks a rule of the format.</exception>
    public static SafetensorsFile Read(Stream stream, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek)
        {
            return ReadSeekable(stream, stream.Length - stream.Position, source);
        }

        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return Read(ms.GetBuffer().AsSpan(0, (int)ms.Length), source);
    }

    /// <summary>Reads and validates safetensors data held in memory (the whole file, nothing more).</summary>
    /// <param name="bytes">The file's bytes; copied, never referenced by the result.</param>
    /// <param name="source">A name for error messages; null for none.</param>
    /// <exception cref="SafetensorsFormatException">The data breaks a rule of the format.</exception>
    public static SafetensorsFile Read(ReadOnlySpan<byte> bytes, string? source = null)
    {
        int n = CheckHeaderLength(bytes[..Math.Min(8, bytes.Length)], bytes.Length, source);
        var header = SafetensorsHeader.Parse(bytes.Slice(8, n).ToArray(), bytes.Length - 8L - n, source);
        var data = bytes[(8 + n)..];
        var entries = new SafetensorsEntry[header.Tensors.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            var t = header.Tensors[i];
            var slice = data[(int)t.Begin..(int)t.End].ToArray();
            entries[i] = SafetensorsEntry.CreateOwned(t.Name, t.DType, t.Shape, slice);
        }

        return new SafetensorsFile(entries, header.Metadata, source);
    }

    private static SafetensorsFile ReadSeekable(Stream stream, long length, string? source)
    {
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        int n = CheckHeaderLength(prefix[..Math.Min(got, 8)], length, source);
        var headerBytes = new byte[n];
        ReadExactly(stream, headerBytes, source, "the header");
        var header = SafetensorsHeader.Parse(headerBytes, length - 8 - n, source);

        // Validated: the ranges tile the data buffer in this order, so the data is read front to back.
        var entries = new SafetensorsEntry[header.Tensors.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            var t = header.Tensors[i];
            var bytes = new byte[t.End - t.Begin];
            ReadExactly(stream, bytes, source, $"tensor '{t.Name}'");
            entries[i] = SafetensorsEntry.CreateOwned(t.Name, t.DType, t.Shape, bytes);
        }

        return new SafetensorsFile(entries, header.Metadata, source);
    }

    // Checks the 8-byte prefix against the total length and the cap; returns the header length N.
    private static int CheckHeaderLength(ReadOnlySpan<byte> prefix, long length, string? source)
    {
        if (prefix.Length < 8)
        {
            throw new SafetensorsFormatException(source, null,
                $"file is {length} bytes, too short for the 8-byte header length that starts every safetensors file");
        }

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
        {
            throw new SafetensorsFormatException(source, null,
                $"header length {n} exceeds the {MaxHeaderBytes}-byte cap (not a safetensors file, or a hostile one)");
        }

        if ((long)n > length - 8)
        {
            throw new SafetensorsFormatException(source, null,
                $"header length {n} runs past the end of the file ({length} bytes hold at most {length - 8} header bytes)");
        }

        return (int)n;
    }

    private static void ReadExactly(Stream stream, byte[] buffer, string? source, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException ex)
        {
            // Only possible when the file shrank after its length was taken.
            throw new SafetensorsFormatException(source, null, $"file ended while reading {what} (was it truncated while being read?)", ex);
        }
    }
}
