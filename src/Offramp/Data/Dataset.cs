namespace Offramp.Data;

/// <summary>
/// A labelled image classification data set: <see cref="Count"/> images of shape
/// (<see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>) with integer labels in
/// [0, <see cref="NumClasses"/>). Fashion-MNIST, CIFAR-10 or synthetic data implement it; loaders and splits see
/// only this.
/// </summary>
/// <remarks>
/// Implementations are read-only after construction, so several threads (the loader's prefetch task) may read
/// them at once.
/// </remarks>
public abstract class Dataset
{
    /// <summary>Short name for messages and reports (<c>fashion-mnist/train</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Number of samples, N.</summary>
    public abstract int Count { get; }

    /// <summary>Channels per image, C.</summary>
    public abstract int Channels { get; }

    /// <summary>Image height, H.</summary>
    public abstract int Height { get; }

    /// <summary>Image width, W.</summary>
    public abstract int Width { get; }

    /// <summary>Class names, indexed by label; its length is K.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes, K.</summary>
    public int NumClasses => ClassNames.Count;

    /// <summary>Values per image, C·H·W.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The label of sample <paramref name="index"/>, in [0, K).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, N).</exception>
    public abstract int GetLabel(int index);

    /// <summary>
    /// Writes image <paramref name="index"/> as float32 (C, H, W) values in [0, 1] (bytes are divided by 255)
    /// into <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, N).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than C·H·W.</exception>
    public abstract void CopyImage(int index, Span<float> destination);

    /// <summary>All labels, in sample order (a copy).</summary>
    public int[] GetLabels()
    {
        var r = new int[Count];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = GetLabel(i);
        }

        return r;
    }

    /// <summary>A view of the samples at <paramref name="indices"/>, in that order (no image is copied).</summary>
    /// <param name="indices">Sample indices into this data set; repeats are allowed.</param>
    /// <param name="name">Name of the view; defaults to <c>{Name}[subset]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, N).</exception>
    public Dataset Subset(int[] indices, string? name = null) => new DatasetSubset(this, indices, name);

    /// <summary>Throws when <paramref name="index"/> is not a sample index.</summary>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name}: sample index outside [0, {Count})");
        }
    }

    /// <summary>Throws when <paramref name="destination"/> cannot hold one image.</summary>
    protected void CheckDestination(Span<float> destination)
    {
        if (destination.Length < ImageSize)
        {
            throw new ArgumentException(
                $"{Name}: destination of {destination.Length} floats cannot hold a " +
                $"({Channels}, {Height}, {Width}) image",
                nameof(destination));
        }
    }

    /// <summary>Checks the arguments shared by the in-memory implementations: shape, data length and labels.</summary>
    internal static void CheckContents(
        string name, long length, string what, int[] labels, int channels, int height, int width, int classes)
    {
        if (channels < 1 || height < 1 || width < 1 || classes < 1)
        {
            throw new ArgumentException(
                $"{name}: invalid data set shape (C, H, W)=({channels}, {height}, {width}), K={classes}");
        }

        long expected = (long)labels.Length * channels * height * width;
        if (length != expected)
        {
            throw new ArgumentException(
                $"{name}: {length} {what} for {labels.Length} images of ({channels}, {height}, {width}) " +
                $"({expected} expected)");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException($"{name}: label {labels[i]} of sample {i} is outside [0, {classes})");
            }
        }
    }
}
