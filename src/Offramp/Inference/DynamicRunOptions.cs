namespace Offramp.Inference;

/// <summary>How <see cref="DynamicRunner.Run"/> measures time.</summary>
public sealed record DynamicRunOptions
{
    /// <summary>Also time the full model (every exit, no compaction) on each batch, for the measured speed-up.
    /// Default true.</summary>
    public bool MeasureFullModel { get; init; } = true;

    /// <summary>Timed runs per batch (dynamic and full alternate); each batch's time is the median. Default 1.</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>Untimed runs of the first batch before any timing (JIT tiering, buffer pools). Default 1.</summary>
    public int WarmupRuns { get; init; } = 1;

    /// <summary>
    /// Pool the samples that go on past an exit across input batches: a segment runs once at least one input batch's
    /// worth of samples (the first batch's size) waits for it, and once more at the end for the rest. Without pooling
    /// each batch is compacted on its own, so its later segments run on ever smaller batches. Answers are the same
    /// either way; only the time differs. The whole input is then timed as one run (median of the repeats), the full
    /// model over the same batches. Default false.
    /// </summary>
    public bool PoolAcrossBatches { get; init; }

    /// <summary>The clock; null for <see cref="StopwatchClock"/>.</summary>
    public IClock? Clock { get; init; }

    /// <summary>Throws unless the options are usable.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Repeats &lt; 1 or warm-up runs &lt; 0.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Repeats, 1, nameof(Repeats));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupRuns, nameof(WarmupRuns));
    }
}
