using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Offramp.Engine.IO;

/// <summary>One tensor's header entry after validation: where its bytes lie in the data buffer.</summary>
internal readonly record struct TensorLayout(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End);

/// <summary>
/// Parses and validates a safetensors JSON header against the length of the data buffer that follows it.
/// Nothing is returned unless the whole header is valid.
/// </summary>
/// <remarks>
/// The rules are those of the official reader (<c>SafeTensors::read_metadata</c> and <c>Metadata::validate</c> in
/// huggingface/safetensors), made stricter where it is lenient: duplicate keys (serde keeps the last), unknown
/// fields in an entry (serde ignores them) and numbers written as <c>-0</c> or <c>1e2</c> are rejected here.
/// </remarks>
internal sealed class SafetensorsHeader
{
    private static readonly string KnownDTypes = string.Join(", ",
        Enum.GetValues<SafetensorsDType>().Select(d => d.HeaderName()));

    private readonly string? _source;
    private readonly long _dataLength;

    private SafetensorsHeader(string? source, long dataLength)
    {
        _source = source;
        _dataLength = dataLength;
    }

    /// <summary>Tensors sorted by data offset; they tile the data buffer exactly.</summary>
    public TensorLayout[] Tensors { get; private set; } = [];

    /// <summary>The <c>__metadata__</c> object, or null when absent (or JSON null).</summary>
    public Dictionary<string, string>? Metadata { get; private set; }

    /// <summary>Parses <paramref name="header"/> (the N header bytes) for a data buffer of <paramref name="dataLength"/> bytes.</summary>
    /// <exception cref="SafetensorsFormatException">Any rule is broken.</exception>
    public static SafetensorsHeader Parse(byte[] header, long dataLength, string? source)
    {
        var h = new SafetensorsHeader(source, dataLength);
        h.ParseInto(header);
        return h;
    }

    private void ParseInto(byte[] header)
    {
        if (header.AsSpan().StartsWith("\uFEFF"u8))
        {
            throw Bad(null, "header starts with a UTF-8 byte-order mark; it must be plain JSON");
        }

        if (!Utf8.IsValid(header))
        {
            int at = FirstInvalidUtf8(header);
            throw Bad(null, $"header is not valid UTF-8 (byte 0x{header[at]:X2} at header offset {at})");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw Bad(null, $"header is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            try
            {
                ParseRoot(doc.RootElement);
            }
            catch (InvalidOperationException ex)
            {
                // JsonElement throws this for strings it cannot decode (e.g. an escaped lone surrogate).
                throw Bad(null, $"header holds a string that is not valid Unicode: {ex.Message}", ex);
            }
        }
    }

    private void ParseRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Bad(null, $"header is a JSON {Kind(root)}, not an object mapping tensor names to entries");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<TensorLayout>();
        foreach (var p in root.EnumerateObject())
        {
            if (!seen.Add(p.Name))
            {
                throw p.Name == Safetensors.MetadataKey
                    ? Bad(null, $"duplicate key '{Safetensors.MetadataKey}' in the header")
                    : Bad(p.Name, "duplicate tensor name in the header");
            }

            if (p.Name == Safetensors.MetadataKey)
            {
                Metadata = ParseMetadata(p.Value);
            }
            else
            {
                tensors.Add(ParseEntry(p.Name, p.Value));
            }
        }

        // The official reader also sorts by (begin, end) before checking contiguity: files from older writers
        // list entries in other orders. Names break ties between empty tensors so the order is deterministic.
        tensors.Sort((a, b) =>
        {
            int c = a.Begin.CompareTo(b.Begin);
            c = c != 0 ? c : a.End.CompareTo(b.End);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        CheckTiling(tensors);
        Tensors = [.. tensors];
    }

    private Dictionary<string, string>? ParseMetadata(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null; // serde reads null as "no metadata"
        }

        if (v.ValueKind != JsonValueKind.Object)
        {
            throw Bad(null, $"'{Safetensors.MetadataKey}' is a JSON {Kind(v)}, not an object of string values");
        }

        var md = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                throw Bad(null, $"'{Safetensors.MetadataKey}' key '{Clip(p.Name)}' has a JSON {Kind(p.Value)} value; metadata values must be strings");
            }

            if (!md.TryAdd(p.Name, p.Value.GetString()!))
            {
                throw Bad(null, $"duplicate key '{Clip(p.Name)}' in '{Safetensors.MetadataKey}'");
            }
        }

        return md;
    }

    private TensorLayout ParseEntry(string name, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            throw Bad(name, $"entry is a JSON {Kind(v)}, not an object with dtype, shape and data_offsets");
        }

        JsonElement? dtypeEl = null, shapeEl = null, offsetsEl = null;
        foreach (var f in v.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeEl;
            switch (f.Name)
            {
                case "dtype": slot = ref dtypeEl; break;
                case "shape": slot = ref shapeEl; break;
                case "data_offsets": slot = ref offsetsEl; break;
                default: throw Bad(name, $"unknown field '{Clip(f.Name)}' (an entry has only dtype, shape and data_offsets)");
            }

            if (slot is not null)
            {
                throw Bad(name, $"duplicate field '{f.Name}'");
            }

            slot = f.Value;
        }

        var dtypeJson = dtypeEl ?? throw Bad(name, "missing field 'dtype'");
        var shapeJson = shapeEl ?? throw Bad(name, "missing field 'shape'");
        var offsetsJson = offsetsEl ?? throw Bad(name, "missing field 'data_offsets'");

        if (dtypeJson.ValueKind != JsonValueKind.String)
        {
            throw Bad(name, $"dtype is a JSON {Kind(dtypeJson)}, not a string");
        }

        var dtypeName = dtypeJson.GetString()!;
        if (!SafetensorsDTypeExtensions.TryParseHeaderName(dtypeName, out var dtype))
        {
            throw Bad(name, $"unknown dtype '{Clip(dtypeName)}' (supported: {KnownDTypes})");
        }

        if (shapeJson.ValueKind != JsonValueKind.Array)
        {
            throw Bad(name, $"shape is a JSON {Kind(shapeJson)}, not an array of dimensions");
        }

        var dims = new ulong[shapeJson.GetArrayLength()];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = ParseCount(name, shapeJson[i], $"shape[{i}]");
        }

        if (offsetsJson.ValueKind != JsonValueKind.Array || offsetsJson.GetArrayLength() != 2)
        {
            throw Bad(name, $"data_offsets must be an array of two integers [begin, end], got {Clip(offsetsJson.GetRawText())}");
        }

        ulong begin = ParseCount(name, offsetsJson[0], "data_offsets[0]");
        ulong end = ParseCount(name, offsetsJson[1], "data_offsets[1]");
        if (end < begin)
        {
            throw Bad(name, $"data_offsets [{begin}, {end}] are reversed (end before begin)");
        }

        if (end > (ulong)_dataLength)
        {
            throw Bad(name, $"data_offsets [{begin}, {end}] run past the end of the data buffer ({_dataLength} bytes)");
        }

        ulong nbytes;
        try
        {
            ulong numel = 1;
            foreach (var d in dims)
            {
                numel = checked(numel * d);
            }

            nbytes = checked(numel * (ulong)dtype.SizeOf());
        }
        catch (OverflowException)
        {
            throw Bad(name, $"shape {FormatDims(dims)} of {dtype.HeaderName()} overflows: its byte size exceeds 2^64");
        }

        if (nbytes != end - begin)
        {
            throw Bad(name, $"shape {FormatDims(dims)} of {dtype.HeaderName()} needs {nbytes} bytes, " +
                $"but data_offsets [{begin}, {end}] hold {end - begin}");
        }

        return new TensorLayout(name, dtype, CheckOfframpLimits(name, dims, nbytes), (long)begin, (long)end);
    }

    // Limits of Offramp, not of the format: int dimensions, int element counts, one array per tensor.
    private int[] CheckOfframpLimits(string name, ulong[] dims, ulong nbytes)
    {
        var shape = new int[dims.Length];
        ulong nonzero = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] > int.MaxValue)
            {
                throw Bad(name, $"dimension {dims[i]} of shape {FormatDims(dims)} exceeds {int.MaxValue}, the largest Offramp supports");
            }

            shape[i] = (int)dims[i];
            nonzero = dims[i] == 0 ? nonzero : nonzero * dims[i];
            if (nonzero > int.MaxValue)
            {
                throw Bad(name, $"shape {FormatDims(dims)} has more than {int.MaxValue} elements, the most an Offramp tensor holds");
            }
        }

        if (nbytes > (ulong)Array.MaxLength)
        {
            throw Bad(name, $"{nbytes} bytes of data exceed the largest .NET array ({Array.MaxLength} bytes)");
        }

        return shape;
    }

    private void CheckTiling(List<TensorLayout> sorted)
    {
        long pos = 0;
        string? prev = null;
        foreach (var t in sorted)
        {
            if (t.Begin < pos)
            {
                throw Bad(t.Name, $"data_offsets [{t.Begin}, {t.End}] overlap tensor '{prev}', whose data ends at {pos}");
            }

            if (t.Begin > pos)
            {
                throw Bad(t.Name, $"gap of {t.Begin - pos} bytes before data_offsets [{t.Begin}, {t.End}] " +
                    $"({(prev is null ? "the data buffer starts at 0" : $"tensor '{prev}' ends at {pos}")}); tensor data must be contiguous");
            }

            pos = t.End;
            prev = t.Name;
        }

        if (pos != _dataLength)
        {
            throw Bad(null, $"{_dataLength - pos} trailing bytes after the last tensor: the data buffer is {_dataLength} bytes " +
                $"but the tensors cover {pos}");
        }
    }

    // A JSON number that must be a plain non-negative integer below 2^64 (serde's usize): no sign, fraction or exponent.
    private ulong ParseCount(string name, JsonElement e, string what)
    {
        if (e.ValueKind != JsonValueKind.Number)
        {
            throw Bad(name, $"{what} is a JSON {Kind(e)}, not a non-negative integer");
        }

        var raw = e.GetRawText();
        if (raw.AsSpan().ContainsAnyExcept(Digits))
        {
            throw Bad(name, $"{what} = {Clip(raw)} is not a non-negative integer");
        }

        if (!ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw Bad(name, $"{what} = {Clip(raw)} does not fit in 64 bits");
        }

        return value;
    }

    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    private SafetensorsFormatException Bad(string? tensor, string reason, Exception? inner = null) =>
        new(_source, tensor is null ? null : Clip(tensor), reason, inner);

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static string FormatDims(ulong[] dims) => "[" + string.Join(", ", dims) + "]";

    // Hostile names and numbers can be megabytes long; messages show at most 80 characters of them.
    private static string Clip(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && Rune.DecodeFromUtf8(s[i..], out _, out int used) == OperationStatus.Done)
        {
            i += used;
        }

        return Math.Min(i, s.Length - 1);
    }
}
