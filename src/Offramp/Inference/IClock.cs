using System.Diagnostics;

namespace Offramp.Inference;

/// <summary>
/// A monotonic clock for the runners' wall-time measurements and deadlines. Production code uses
/// <see cref="StopwatchClock"/>; tests pass a fake clock that advances by a scripted amount per reading, so deadline
/// decisions never depend on thread timing.
/// </summary>
public interface IClock
{
    /// <summary>Time elapsed since an arbitrary fixed origin; never decreases.</summary>
    TimeSpan Now { get; }
}

/// <summary>The real clock: <see cref="Stopwatch"/>'s high-resolution timestamp.</summary>
public sealed class StopwatchClock : IClock
{
    private StopwatchClock()
    {
    }

    /// <summary>The one instance.</summary>
    public static StopwatchClock Instance { get; } = new();

    /// <inheritdoc/>
    public TimeSpan Now => Stopwatch.GetElapsedTime(0);
}
