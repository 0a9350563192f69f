using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Offramp.Engine.IO;

public static partial class Safetensors
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes tensors as a safetensors file, byte-identical to <c>safetensors.torch.save_file</c> for the same
    /// tensors and metadata, and atomically: the bytes go to a temporary file in the same directory, which is
    /// flushed to disk and then renamed over <paramref name="path"/>. No partial file ever appears under that name.
    /// </summary>
    /// <param name="path">Destination; replaced if it exists.</param>
    /// <param name="entries">The tensors, in any order (the file order is the official one, see remarks).</param>
    /// <param name="metadata">Optional <c>__metadata__</c> (e.g. <c>{"format": "pt"}</c>); null writes none.</param>
    /// <remarks>
    /// <para>Layout of the official writer (<c>prepare</c> in huggingface/safetensors <c>tensor.rs</c>): tensors
    /// sorted by descending dtype (the <see cref="SafetensorsDType"/> order, so I64 before F64 before F32 before
    /// BF16 before F16), then by name (byte order of UTF-8); data laid out in that order without padding; the header
    /// is compact JSON (serde_json: no spaces; only <c>"</c>, <c>\</c> and control characters escaped), with
    /// <c>__metadata__</c> first, each entry as <c>{"dtype","shape","data_offsets"}</c>, padded with spaces to a
    /// multiple of 8 bytes.</para>
    /// <para>The official writer emits metadata keys in hash-map order, which is unspecified when there are two or
    /// more; this writer sorts them by name (identical output for zero or one key, the usual case).</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Two entries share a name, a name or metadata string is not valid Unicode,
    /// or the header would exceed <see cref="MaxHeaderBytes"/>.</exception>
    /// <exception cref="IOException">The file cannot be written; <paramref name="path"/> is then left untouched.</exception>
    public static void Write(string path, IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var plan = Prepare(entries, metadata);
        AtomicFile.Write(path, plan.WriteTo);
    }

    /// <summary>Writes tensors in the safetensors format to <paramref name="stream"/> (same bytes as the file writer).</summary>
    /// <param name="entries">The tensors, in any order (written in the official order).</param>
    /// <param name="metadata">Optional <c>__metadata__</c>; null writes none.</param>
    /// <param name="stream">Destination, written from its current position.</param>
    /// <exception cref="ArgumentException">As for the file writer.</exception>
    public static void Write(Stream stream, IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Prepare(entries, metadata).WriteTo(stream);
    }

    /// <summary>The bytes of the safetensors file holding these tensors (same bytes as the file writer).</summary>
    /// <param name="entries">The tensors, in any order (written in the official order).</param>
    /// <param name="metadata">Optional <c>__metadata__</c>; null writes none.</param>
    /// <exception cref="ArgumentException">As for the file writer, or the file would not fit in one array.</exception>
    public static byte[] Serialize(IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var plan = Prepare(entries, metadata);
        long total = 8L + plan.Header.Length + plan.DataLength;
        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"{total} bytes do not fit in one array; write to a file or stream instead", nameof(entries));
        }

        var ms = new MemoryStream((int)total);
        plan.WriteTo(ms);
        Debug.Assert(ms.Length == total && ms.Capacity == total);
        return ms.GetBuffer();
    }

    private static WritePlan Prepare(IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<(SafetensorsEntry Entry, byte[] Utf8Name)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            ArgumentNullException.ThrowIfNull(e, nameof(entries));
            if (!names.Add(e.Name))
            {
                throw new ArgumentException($"duplicate tensor name '{e.Name}'", nameof(entries));
            }

            list.Add((e, Utf8Bytes(e.Name, "tensor name")));
        }

        // Official order: descending dtype, then name. Names are unique, so the unstable sort is deterministic.
        list.Sort((a, b) =>
        {
            int c = b.Entry.DType.CompareTo(a.Entry.DType);
            return c != 0 ? c : a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name);
        });

        var json = new StringBuilder("{");
        if (metadata is not null)
        {
            AppendString(json, MetadataKey).Append(":{");
            var keys = metadata.Keys.Select(k => (Key: k, Utf8: Utf8Bytes(k, "metadata key"))).ToList();
            keys.Sort((a, b) => a.Utf8.AsSpan().SequenceCompareTo(b.Utf8));
            for (int i = 0; i < keys.Count; i++)
            {
                var value = metadata[keys[i].Key] ?? throw new ArgumentException($"metadata '{keys[i].Key}' is null", nameof(metadata));
                Utf8Bytes(value, "metadata value");
                AppendString(json.Append(i == 0 ? "" : ","), keys[i].Key).Append(':');
                AppendString(json, value);
            }

            json.Append('}');
        }

        long offset = 0;
        foreach (var (e, _) in list)
        {
            long end = offset + e.RawData.LongLength;
            AppendString(json.Append(json.Length > 1 ? "," : ""), e.Name)
                .Append(":{\"dtype\":\"").Append(e.DType.HeaderName()).Append("\",\"shape\":[")
                .AppendJoin(',', e.ShapeSpan.ToArray())
                .Append(CultureInfo.InvariantCulture, $"],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
        }

        json.Append('}');

        // serde_json output padded with spaces so the data buffer starts 8-aligned (JSON allows trailing spaces).
        var jsonBytes = StrictUtf8.GetBytes(json.ToString());
        var header = new byte[jsonBytes.Length + (8 - jsonBytes.Length % 8) % 8];
        jsonBytes.CopyTo(header.AsSpan());
        header.AsSpan(jsonBytes.Length).Fill((byte)' ');
        if (header.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"the header would be {header.Length} bytes, over the {MaxHeaderBytes}-byte cap", nameof(entries));
        }

        return new WritePlan(header, [.. list.Select(x => x.Entry)], offset);
    }

    // serde_json's string escaping: '"' and '\' escaped, \b \f \n \r \t short forms, other controls as \u00xx
    // (lowercase hex); everything else, including non-ASCII and DEL, written as is.
    private static StringBuilder AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\b' => sb.Append("\\b"),
                '\f' => sb.Append("\\f"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                < ' ' => sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => sb.Append(c),
            };
        }

        return sb.Append('"');
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path); // no-op when the temp file was never created
        }
        catch (IOException)
        {
            // Leave the temp file; the original error matters more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static byte[] Utf8Bytes(string s, string what)
    {
        try
        {
            return StrictUtf8.GetBytes(s);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"{what} '{s}' is not valid Unicode (lone surrogate)", ex);
        }
    }

    private sealed record WritePlan(byte[] Header, SafetensorsEntry[] Entries, long DataLength)
    {
        public void WriteTo(Stream s)
        {
            Span<byte> n = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)Header.Length);
            s.Write(n);
            s.Write(Header);
            foreach (var e in Entries)
            {
                s.Write(e.RawData);
            }
        }
    }
}
