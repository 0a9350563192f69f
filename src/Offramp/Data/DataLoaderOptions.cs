namespace Offramp.Data;

/// <summary>Settings of a <see cref="DataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch (&gt; 0).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Shuffle the samples each epoch (else sample order).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last batch of an epoch when it is smaller than <see cref="BatchSize"/> (PyTorch's
    /// <c>drop_last</c>).</summary>
    public bool DropLast { get; init; }

    /// <summary>Run seed: with the epoch it decides the order, with the epoch and batch index the
    /// augmentations.</summary>
    public ulong Seed { get; init; }

    /// <summary>Transforms applied in order to each batch of [0, 1] pixels (e.g. crop, flip, then
    /// <see cref="Normalize"/>, then erasing).</summary>
    public IReadOnlyList<IBatchTransform> Transforms { get; init; } = [];

    /// <summary>Mixup/CutMix applied last, giving <see cref="Batch.SoftTargets"/>; null for none.</summary>
    public Mixup? Mixup { get; init; }

    /// <summary>Prepare the next batch on a background task while the current one is used (one batch ahead).</summary>
    public bool Prefetch { get; init; } = true;
}
