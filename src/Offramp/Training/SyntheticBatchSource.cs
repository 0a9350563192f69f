using Offramp.Engine;

namespace Offramp.Training;

/// <summary>
/// A generated classification task for smoke tests and benchmarks: sample i has label i mod K and image
/// prototype[label] + σ·noise, where the K prototypes and each sample's noise are drawn from seeds derived from
/// (seed, class) and (seed, i). Epoch e's order is a permutation drawn from (seed, e) (or sample order without
/// shuffling), so batches are a pure function of (seed, epoch, index).
/// </summary>
public sealed class SyntheticBatchSource : IBatchSource
{
    private readonly float[][] _prototypes;

    /// <summary>Creates the source.</summary>
    /// <param name="count">Samples.</param>
    /// <param name="numClasses">Classes K.</param>
    /// <param name="inputShape">Per-sample shape (C, H, W) or any other shape.</param>
    /// <param name="batchSize">Samples per batch (the last batch may be smaller).</param>
    /// <param name="seed">Seed of the data and of the order.</param>
    /// <param name="shuffle">Shuffle per epoch.</param>
    /// <param name="noise">Standard deviation σ of the per-sample noise (the prototypes have unit variance).</param>
    /// <param name="offset">Index of the first sample (disjoint train/test sets share a seed with different offsets).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, class count or batch size is not positive.</exception>
    public SyntheticBatchSource(int count, int numClasses, int[] inputShape, int batchSize, ulong seed,
        bool shuffle = true, double noise = 1.0, int offset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Count = count;
        NumClasses = numClasses;
        InputShape = (int[])inputShape.Clone();
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        Noise = noise;
        Offset = offset;
        SampleSize = InputShape.Aggregate(1, (a, b) => checked(a * b));
        _prototypes = new float[numClasses][];
        for (int c = 0; c < numClasses; c++)
        {
            var rng = new Rng(Mix(seed, 0x70726F746FUL, (ulong)c));
            _prototypes[c] = new float[SampleSize];
            for (int j = 0; j < SampleSize; j++)
            {
                _prototypes[c][j] = (float)rng.NextNormal();
            }
        }
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public int NumClasses { get; }

    /// <inheritdoc/>
    public int[] InputShape { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>Whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Noise standard deviation.</summary>
    public double Noise { get; }

    /// <summary>Index of the first sample.</summary>
    public int Offset { get; }

    /// <summary>Elements per sample.</summary>
    public int SampleSize { get; }

    /// <inheritdoc/>
    public int BatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    /// <summary>The label of sample <paramref name="i"/>.</summary>
    public int Label(int i) => (i + Offset) % NumClasses;

    /// <inheritdoc/>
    public IEnumerable<TrainBatch> GetEpoch(int epoch, int startBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if ((uint)startBatch > (uint)BatchesPerEpoch)
        {
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"start batch outside [0, {BatchesPerEpoch}]");
        }

        return Iterate(epoch, startBatch);
    }

    private IEnumerable<TrainBatch> Iterate(int epoch, int startBatch)
    {
        var order = Shuffle ? new Rng(Mix(Seed, 0x73687566UL, (ulong)epoch)).Permutation(Count) : Enumerable.Range(0, Count).ToArray();
        for (int b = startBatch; b < BatchesPerEpoch; b++)
        {
            int start = b * BatchSize, n = Math.Min(BatchSize, Count - start);
            var x = new float[n * SampleSize];
            var labels = new int[n];
            for (int r = 0; r < n; r++)
            {
                int i = order[start + r];
                labels[r] = Label(i);
                var rng = new Rng(Mix(Seed, 0x73616D70UL, (ulong)(i + Offset)));
                var proto = _prototypes[labels[r]];
                for (int j = 0; j < SampleSize; j++)
                {
                    x[r * SampleSize + j] = proto[j] + (float)(Noise * rng.NextNormal());
                }
            }

            yield return new TrainBatch(Tensor.FromArray(x, [n, .. InputShape]), labels);
        }
    }

    // SplitMix-style mixing of a seed with a stream tag and an index.
    private static ulong Mix(ulong seed, ulong stream, ulong index)
    {
        ulong z = seed ^ (stream * 0x9E3779B97F4A7C15UL) ^ (index * 0xD1B54A32D192ED03UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
