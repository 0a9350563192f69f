using Offramp.Data;

namespace Offramp.Training;

/// <summary>The trainer's <see cref="IBatchSource"/> over a <see cref="DataLoader"/> (which already makes epoch e's
/// order a function of (seed, e) and batch b's augmentation a function of (seed, e, b)).</summary>
public sealed class DataLoaderBatchSource(DataLoader loader) : IBatchSource
{
    /// <summary>The wrapped loader.</summary>
    public DataLoader Loader { get; } = loader;

    /// <inheritdoc/>
    public int Count => Loader.Dataset.Count;

    /// <inheritdoc/>
    public int BatchesPerEpoch => Loader.BatchesPerEpoch;

    /// <inheritdoc/>
    public int NumClasses => Loader.Dataset.NumClasses;

    /// <inheritdoc/>
    public int[] InputShape => [Loader.Dataset.Channels, Loader.Dataset.Height, Loader.Dataset.Width];

    /// <inheritdoc/>
    public IEnumerable<TrainBatch> GetEpoch(int epoch, int startBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if ((uint)startBatch > (uint)BatchesPerEpoch)
        {
            throw new ArgumentOutOfRangeException(nameof(startBatch), startBatch, $"start batch outside [0, {BatchesPerEpoch}]");
        }

        // Skipped batches are built and dropped (a resume mid-epoch costs at most one epoch of data preparation, not
        // of training); every batch is still the one an uninterrupted epoch would see.
        return Loader.GetEpoch(epoch).Skip(startBatch).Select(b => new TrainBatch(b.Images, b.Labels, b.SoftTargets));
    }
}
