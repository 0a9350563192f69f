using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Cuts a <see cref="Dataset"/> into batches of float32 images (B, C, H, W) and labels, shuffled per epoch and
/// augmented, deterministically from a seed.
/// </summary>
/// <remarks>
/// <para>Reproducibility: epoch e's order is a permutation drawn from a seed derived from (seed, e) alone, and
/// batch b of epoch e draws its augmentations from a seed derived from (seed, e, b) alone. So a run resumed at any
/// epoch (or batch, with <see cref="GetBatch"/>) sees exactly the batches an uninterrupted run would, and the
/// result does not depend on timing or on the background preparation.</para>
/// <para>With <see cref="DataLoaderOptions.Prefetch"/>, while the caller works on batch b, batch b + 1 is built on
/// a thread-pool task; never more than one batch ahead.</para>
/// </remarks>
public sealed class DataLoader
{
    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">Samples to batch.</param>
    /// <param name="options">Batch size, shuffling, seed, transforms.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    /// <exception cref="ArgumentException">The Mixup class count differs from the data set's.</exception>
    public DataLoader(Dataset dataset, DataLoaderOptions options)
    {
        if (options.BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.BatchSize, "DataLoader: batch size must be positive");
        }

        if (options.Mixup is { } m && m.NumClasses != dataset.NumClasses)
        {
            throw new ArgumentException(
                $"DataLoader: Mixup has {m.NumClasses} classes, {dataset.Name} has {dataset.NumClasses}",
                nameof(options));
        }

        Dataset = dataset;
        Options = options;
        int n = dataset.Count;
        int b = options.BatchSize;
        BatchesPerEpoch = options.DropLast ? n / b : (n + b - 1) / b;
    }

    /// <summary>The data set being batched.</summary>
    public Dataset Dataset { get; }

    /// <summary>The settings.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Batches per epoch: ⌈N/B⌉, or ⌊N/B⌋ with drop-last.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The sample order of epoch <paramref name="epoch"/> (a permutation of 0..N−1, or the identity
    /// without shuffling).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The epoch is negative.</exception>
    public int[] EpochOrder(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int n = Dataset.Count;
        if (!Options.Shuffle)
        {
            return Enumerable.Range(0, n).ToArray();
        }

        return new Rng(SeedDerivation.Derive(Options.Seed, SeedDerivation.ShuffleStream, (ulong)epoch)).Permutation(n);
    }

    /// <summary>The batches of one epoch, in order, built lazily (one ahead with prefetching).</summary>
    /// <param name="epoch">Epoch number, from 0; decides the order and augmentations.</param>
    /// <exception cref="ArgumentOutOfRangeException">The epoch is negative.</exception>
    /// <remarks>Exceptions from building a batch (e.g. a transform rejecting the shape) surface when that batch is
    /// reached. Abandoning the enumeration waits for the batch in preparation.</remarks>
    public IEnumerable<Batch> GetEpoch(int epoch)
    {
        int[] order = EpochOrder(epoch);
        return Options.Prefetch ? Prefetched(epoch, order) : Sequential(epoch, order);
    }

    /// <summary>Builds batch <paramref name="index"/> of epoch <paramref name="epoch"/> on its own (O(N) for the
    /// order); identical to the one <see cref="GetEpoch"/> yields.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The epoch is negative or the index outside
    /// [0, <see cref="BatchesPerEpoch"/>).</exception>
    public Batch GetBatch(int epoch, int index)
    {
        if ((uint)index >= (uint)BatchesPerEpoch)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"batch index outside [0, {BatchesPerEpoch})");
        }

        return Build(epoch, index, EpochOrder(epoch));
    }

    private IEnumerable<Batch> Sequential(int epoch, int[] order)
    {
        for (int b = 0; b < BatchesPerEpoch; b++)
        {
            yield return Build(epoch, b, order);
        }
    }

    private IEnumerable<Batch> Prefetched(int epoch, int[] order)
    {
        int count = BatchesPerEpoch;
        if (count == 0)
        {
            yield break;
        }

        Task<Batch>? pending = Task.Run(() => Build(epoch, 0, order));
        try
        {
            for (int b = 0; b < count; b++)
            {
                Batch current = pending!.GetAwaiter().GetResult();
                int next = b + 1;
                pending = next < count ? Task.Run(() => Build(epoch, next, order)) : null;
                yield return current;
            }
        }
        finally
        {
            // The consumer stopped early (or a batch failed): let the batch in preparation finish so no work
            // outlives the enumeration; its result and any error are discarded.
            if (pending is not null)
            {
                try
                {
                    pending.Wait();
                }
                catch (AggregateException)
                {
                }
            }
        }
    }

    // Reads the samples of batch b, scales to [0, 1], applies the transforms and Mixup with the batch's own rng.
    private Batch Build(int epoch, int b, int[] order)
    {
        int start = b * Options.BatchSize;
        int size = Math.Min(Options.BatchSize, order.Length - start);
        var ds = Dataset;
        var indices = order.AsSpan(start, size).ToArray();
        var labels = new int[size];
        var images = Tensor.Empty([size, ds.Channels, ds.Height, ds.Width]);
        var x = images.Span;
        int imageSize = ds.ImageSize;
        for (int i = 0; i < size; i++)
        {
            ds.CopyImage(indices[i], x.Slice(i * imageSize, imageSize));
            labels[i] = ds.GetLabel(indices[i]);
        }

        var rng = new Rng(SeedDerivation.Derive(Options.Seed, SeedDerivation.AugmentStream, (ulong)epoch, (ulong)b));
        foreach (var t in Options.Transforms)
        {
            images = t.Apply(images, rng);
        }

        Tensor? soft = null;
        double lambda = 1.0;
        if (Options.Mixup is { } mixup)
        {
            var r = mixup.Apply(images, labels, rng);
            soft = r.Targets;
            lambda = r.Lambda;
        }

        return new Batch(epoch, b, indices, images, labels, soft, lambda);
    }
}
