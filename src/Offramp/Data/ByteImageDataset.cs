namespace Offramp.Data;

/// <summary>
/// An in-memory data set of 8-bit images (Fashion-MNIST, CIFAR-10): pixels as bytes in (N, C, H, W) order, read
/// as float32 value/255.
/// </summary>
public sealed class ByteImageDataset : InMemoryDataset
{
    private readonly byte[] _pixels;

    /// <summary>Creates the data set over the given arrays (not copied: do not modify them afterwards).</summary>
    /// <param name="name">Name for messages.</param>
    /// <param name="pixels">N·C·H·W bytes, (N, C, H, W) row-major.</param>
    /// <param name="labels">N labels in [0, K).</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classNames">K class names.</param>
    /// <exception cref="ArgumentException">Lengths do not match the shape, or a label is outside [0, K).</exception>
    public ByteImageDataset(
        string name, byte[] pixels, int[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
        : base(name, pixels.LongLength, "pixel bytes", labels, channels, height, width, classNames)
    {
        _pixels = pixels;
    }

    /// <summary>All pixels, (N, C, H, W) bytes.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The raw (C, H, W) bytes of image <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, N).</exception>
    public ReadOnlySpan<byte> GetImageBytes(int index)
    {
        CheckIndex(index);
        return _pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <inheritdoc/>
    public override void CopyImage(int index, Span<float> destination)
    {
        CheckDestination(destination);
        var src = GetImageBytes(index);
        for (int i = 0; i < src.Length; i++)
        {
            destination[i] = src[i] * (1f / 255f);
        }
    }
}
