namespace Offramp.Data;

/// <summary>
/// The result of <see cref="StratifiedSplit"/>: disjoint, sorted sample indices of a training part and a held-out
/// part that together cover the data set once.
/// </summary>
public sealed class HeldOutSplit
{
    internal HeldOutSplit(int[] trainIndices, int[] heldOutIndices, int[] heldOutPerClass, ulong seed)
    {
        TrainIndices = trainIndices;
        HeldOutIndices = heldOutIndices;
        HeldOutPerClass = heldOutPerClass;
        Seed = seed;
    }

    /// <summary>Indices of the samples to train on, ascending.</summary>
    public IReadOnlyList<int> TrainIndices { get; }

    /// <summary>Indices of the held-out samples (calibration only, never trained on), ascending.</summary>
    public IReadOnlyList<int> HeldOutIndices { get; }

    /// <summary>Number of held-out samples of each class, indexed by label (length K).</summary>
    public IReadOnlyList<int> HeldOutPerClass { get; }

    /// <summary>The seed the split was drawn with.</summary>
    public ulong Seed { get; }

    /// <summary>The training part of <paramref name="source"/> as a view.</summary>
    /// <param name="source">The data set the split was computed from.</param>
    /// <exception cref="ArgumentException"><paramref name="source"/> has another size than the split.</exception>
    public Dataset Train(Dataset source) => View(source, TrainIndices, "train-part");

    /// <summary>The held-out part of <paramref name="source"/> as a view.</summary>
    /// <param name="source">The data set the split was computed from.</param>
    /// <exception cref="ArgumentException"><paramref name="source"/> has another size than the split.</exception>
    public Dataset HeldOut(Dataset source) => View(source, HeldOutIndices, "held-out");

    private Dataset View(Dataset source, IReadOnlyList<int> indices, string part)
    {
        int n = TrainIndices.Count + HeldOutIndices.Count;
        if (source.Count != n)
        {
            throw new ArgumentException(
                $"{source.Name} has {source.Count} samples; this split covers {n}", nameof(source));
        }

        return source.Subset([.. indices], $"{source.Name}/{part}");
    }
}
