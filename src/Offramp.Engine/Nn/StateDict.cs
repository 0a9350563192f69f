using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Offramp.Engine.Nn;

/// <summary>
/// The element type PyTorch gives a state-dict entry, so a safetensors writer can save it as PyTorch would:
/// float tensors as their own type, integer buffers (BatchNorm's <c>num_batches_tracked</c>, optimizer step
/// counts) as <c>I64</c>. Offramp holds every tensor as float; this is only a hint for files.
/// </summary>
public enum TorchDType
{
    /// <summary><c>torch.float32</c> (safetensors <c>F32</c>).</summary>
    Float32,

    /// <summary><c>torch.float64</c> (safetensors <c>F64</c>).</summary>
    Float64,

    /// <summary><c>torch.int64</c> (safetensors <c>I64</c>); the float values are whole numbers.</summary>
    Int64,
}

/// <summary>One entry of a <see cref="StateDict"/>: its dotted key, its tensor and PyTorch's type for it.</summary>
/// <param name="Key">Dotted PyTorch key, e.g. <c>layer1.0.bn1.running_mean</c>.</param>
/// <param name="Tensor">The tensor (for a module's state dict, the module's own tensor, not a copy).</param>
/// <param name="TorchDType">How PyTorch stores the entry; see <see cref="Nn.TorchDType"/>.</param>
public readonly record struct StateDictEntry(string Key, Tensor Tensor, TorchDType TorchDType);

/// <summary>
/// An ordered map from dotted keys to tensors (<c>OrderedDict</c> of <c>state_dict()</c>), each entry carrying
/// a <see cref="TorchDType"/> hint for writers. Enumerates in insertion order.
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>
{
    private readonly OrderedDictionary<string, StateDictEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>Adds an entry; the hint defaults to the tensor's own type.</summary>
    /// <exception cref="ArgumentException">The key is already present.</exception>
    public void Add(string key, Tensor tensor, TorchDType? torchDType = null)
    {
        var hint = torchDType ?? (tensor.DType == DType.Float64 ? TorchDType.Float64 : TorchDType.Float32);
        if (!_entries.TryAdd(key, new StateDictEntry(key, tensor, hint)))
        {
            throw new ArgumentException($"state dict already has key '{key}'", nameof(key));
        }
    }

    /// <summary>The entries in order, with their type hints.</summary>
    public IEnumerable<StateDictEntry> Entries => _entries.Values;

    /// <summary>PyTorch's type of the entry <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such key.</exception>
    public TorchDType TorchDTypeOf(string key) => _entries[key].TorchDType;

    /// <inheritdoc/>
    public Tensor this[string key] => _entries[key].Tensor;

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _entries.Keys;

    /// <inheritdoc/>
    public IEnumerable<Tensor> Values => _entries.Values.Select(e => e.Tensor);

    /// <inheritdoc/>
    public int Count => _entries.Count;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value)
    {
        if (_entries.TryGetValue(key, out var e))
        {
            value = e.Tensor;
            return true;
        }

        value = null;
        return false;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        foreach (var e in _entries.Values)
        {
            yield return new KeyValuePair<string, Tensor>(e.Key, e.Tensor);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Thrown by <see cref="Module.LoadStateDict"/> when a state dict does not fit the module; lists every
/// missing, unexpected and mis-shaped key (PyTorch's "Error(s) in loading state_dict"). Nothing was changed.
/// </summary>
public sealed class StateDictMismatchException : ArgumentException
{
    /// <summary>Creates the exception with its key lists; the message names them all.</summary>
    public StateDictMismatchException(string moduleName, IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(Format(moduleName, missingKeys, unexpectedKeys, shapeMismatches))
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Keys the module expects that the state dict lacks (strict loads only).</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys of the state dict the module does not have (strict loads only).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>One line per key whose shape differs: key, checkpoint shape, module shape.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Format(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> mismatched)
    {
        var parts = new List<string>();
        if (unexpected.Count > 0)
        {
            parts.Add("Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
        }

        if (missing.Count > 0)
        {
            parts.Add("Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
        }

        parts.AddRange(mismatched);
        return $"Error(s) in loading state_dict for {module}:\n\t" + string.Join("\n\t", parts);
    }
}
