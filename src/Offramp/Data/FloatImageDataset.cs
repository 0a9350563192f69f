namespace Offramp.Data;

/// <summary>
/// An in-memory data set of float32 images (synthetic data, tests): values in (N, C, H, W) order, returned as
/// they are (by convention in [0, 1], like the scaled bytes of <see cref="ByteImageDataset"/>).
/// </summary>
public sealed class FloatImageDataset : InMemoryDataset
{
    private readonly float[] _values;

    /// <summary>Creates the data set over the given arrays (not copied: do not modify them afterwards).</summary>
    /// <param name="name">Name for messages.</param>
    /// <param name="values">N·C·H·W floats, (N, C, H, W) row-major.</param>
    /// <param name="labels">N labels in [0, K).</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classNames">K class names.</param>
    /// <exception cref="ArgumentException">Lengths do not match the shape, or a label is outside [0, K).</exception>
    public FloatImageDataset(
        string name,
        float[] values,
        int[] labels,
        int channels,
        int height,
        int width,
        IReadOnlyList<string> classNames)
        : base(name, values.LongLength, "values", labels, channels, height, width, classNames)
    {
        _values = values;
    }

    /// <inheritdoc/>
    public override void CopyImage(int index, Span<float> destination)
    {
        CheckIndex(index);
        CheckDestination(destination);
        _values.AsSpan(index * ImageSize, ImageSize).CopyTo(destination);
    }
}
