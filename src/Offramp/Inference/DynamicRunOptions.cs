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
