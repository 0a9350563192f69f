namespace Offramp.Inference;

/// <summary>
/// What an <see cref="IExitPolicy"/> sees when it decides for one sample at exit k: the outputs of exits 0..k of
/// that sample, in execution order. A view, never a copy; valid only during the call.
/// </summary>
public readonly ref struct SampleOutputs
{
    private readonly ReadOnlySpan<float> _data;
    private readonly int _offset;
    private readonly int _stride;

    /// <summary>Creates a view of <paramref name="count"/> exits of <paramref name="classes"/> outputs each:
    /// exit j's outputs are <c>data[offset + j·stride .. + classes]</c>.</summary>
    /// <param name="data">Backing outputs, e.g. an (E, N, K) buffer (stride N·K) or a (k+1, K) one (stride K).</param>
    /// <param name="offset">Start of exit 0's outputs of this sample.</param>
    /// <param name="stride">Distance between consecutive exits' outputs of this sample.</param>
    /// <param name="count">Exits seen so far, k + 1 (≥ 1).</param>
    /// <param name="classes">Outputs per exit K (classes, or output dimensions for regression).</param>
    /// <param name="isProbabilities">True when the outputs are probabilities rather than logits.</param>
    /// <exception cref="ArgumentOutOfRangeException">The exits do not fit in <paramref name="data"/>.</exception>
    public SampleOutputs(ReadOnlySpan<float> data, int offset, int stride, int count, int classes, bool isProbabilities)
    {
        if (count < 1 || classes < 1 || offset < 0 || stride < classes
            || (long)offset + ((long)(count - 1) * stride) + classes > data.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count),
                $"SampleOutputs: {count} exits × {classes} outputs at offset {offset}, stride {stride} do not fit in {data.Length} values");
        }

        _data = data;
        _offset = offset;
        _stride = stride;
        Count = count;
        Classes = classes;
        IsProbabilities = isProbabilities;
    }

    /// <summary>Exits seen so far (k + 1).</summary>
    public int Count { get; }

    /// <summary>The exit being decided, k = <see cref="Count"/> − 1 (0-based).</summary>
    public int Exit => Count - 1;

    /// <summary>Outputs per exit (K).</summary>
    public int Classes { get; }

    /// <summary>True when the outputs are probabilities (softmax already applied), false for logits.</summary>
    public bool IsProbabilities { get; }

    /// <summary>The outputs of exit <paramref name="exit"/> (0 ≤ exit &lt; <see cref="Count"/>), K values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The exit has not been run yet.</exception>
    public ReadOnlySpan<float> this[int exit]
    {
        get
        {
            if ((uint)exit >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(exit), $"exit {exit} of a sample that has seen {Count} exits");
            }

            return _data.Slice(_offset + (exit * _stride), Classes);
        }
    }

    /// <summary>The outputs of the exit being decided.</summary>
    public ReadOnlySpan<float> Current => this[Count - 1];
}
