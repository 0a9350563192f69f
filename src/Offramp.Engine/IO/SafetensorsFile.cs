using System.Collections;

namespace Offramp.Engine.IO;

/// <summary>
/// The fully validated contents of a safetensors file: its tensors in data-buffer order and its optional
/// <c>__metadata__</c>. Returned by <see cref="Safetensors.Read(string)"/> and its overloads.
/// </summary>
/// <remarks>
/// Enumerating yields the entries in the order of their data offsets, which is the order the official writer
/// (and <see cref="Safetensors.Write(string, IEnumerable{SafetensorsEntry}, IReadOnlyDictionary{string, string})"/>)
/// lays them out; writing <see cref="Entries"/> and <see cref="Metadata"/> back reproduces such a file byte for byte.
/// </remarks>
public sealed class SafetensorsFile : IReadOnlyList<SafetensorsEntry>
{
    private readonly SafetensorsEntry[] _entries;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    internal SafetensorsFile(SafetensorsEntry[] entries, IReadOnlyDictionary<string, string>? metadata, string? source)
    {
        _entries = entries;
        _byName = new Dictionary<string, SafetensorsEntry>(entries.Length, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            _byName.Add(e.Name, e);
        }

        Metadata = metadata;
        Source = source;
    }

    /// <summary>The tensors, in the order of their data offsets.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries => _entries;

    /// <summary>The header's <c>__metadata__</c> (string → string); null when the header has none.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; }

    /// <summary>The path (or caller-given name) the data was read from; null for an unnamed buffer.</summary>
    public string? Source { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => _entries.Length;

    /// <summary>Tensor names, in data-offset order.</summary>
    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    /// <summary>The entry at <paramref name="index"/> in data-offset order.</summary>
    public SafetensorsEntry this[int index] => _entries[index];

    /// <summary>The entry named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message names the file.</exception>
    public SafetensorsEntry this[string name] =>
        _byName.TryGetValue(name, out var e)
            ? e
            : throw new KeyNotFoundException(
                $"{(Source is null ? "safetensors data" : $"safetensors file '{Source}'")} has no tensor '{name}' ({Count} tensors)");

    /// <summary>True when a tensor has that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafetensorsEntry? entry) =>
        _byName.TryGetValue(name, out entry);

    /// <inheritdoc/>
    public IEnumerator<SafetensorsEntry> GetEnumerator() => ((IEnumerable<SafetensorsEntry>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
