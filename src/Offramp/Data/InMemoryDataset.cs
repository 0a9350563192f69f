namespace Offramp.Data;

/// <summary>
/// The shared part of the in-memory data sets (<see cref="ByteImageDataset"/>, <see cref="FloatImageDataset"/>):
/// name, labels, class names and image shape, validated once against the length of the pixel data.
/// </summary>
public abstract class InMemoryDataset : Dataset
{
    private readonly int[] _labels;
    private readonly string[] _classNames;

    /// <summary>Validates and stores the description; the subclass keeps the pixel data itself.</summary>
    /// <param name="name">Name for messages.</param>
    /// <param name="dataLength">Number of elements of the pixel data (N·C·H·W expected).</param>
    /// <param name="dataWhat">What the pixel data is called in messages ("pixel bytes", "values").</param>
    /// <param name="labels">N labels in [0, K) (not copied).</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classNames">K class names.</param>
    /// <exception cref="ArgumentException">Lengths do not match the shape, or a label is outside [0, K).</exception>
    private protected InMemoryDataset(string name, long dataLength, string dataWhat, int[] labels, int channels,
        int height, int width, IReadOnlyList<string> classNames)
    {
        CheckContents(name, dataLength, dataWhat, labels, channels, height, width, classNames.Count);
        Name = name;
        _labels = labels;
        _classNames = [.. classNames];
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override int Channels { get; }

    /// <inheritdoc/>
    public override int Height { get; }

    /// <inheritdoc/>
    public override int Width { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> ClassNames => _classNames;

    /// <inheritdoc/>
    public override int GetLabel(int index)
    {
        CheckIndex(index);
        return _labels[index];
    }
}
