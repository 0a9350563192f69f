namespace Offramp.Training;

/// <summary>
/// Training stopped because a loss or the gradient norm became NaN or infinite. Nothing was applied from the bad
/// step, and the last good checkpoint was left as it was.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a bad value at a step.</summary>
    /// <param name="globalStep">The step that failed (1-based: the n-th optimizer step of the run).</param>
    /// <param name="epoch">Epoch, from 0.</param>
    /// <param name="batch">Batch within the epoch, from 0.</param>
    /// <param name="what">What went bad, e.g. <c>the loss of exit 'exit2'</c> or <c>the gradient norm</c>.</param>
    /// <param name="value">The value (NaN or ±∞).</param>
    /// <param name="exitName">The exit whose loss went bad, or null.</param>
    /// <param name="lastCheckpoint">The last good checkpoint, or null.</param>
    public TrainingDivergedException(long globalStep, int epoch, int batch, string what, double value, string? exitName, string? lastCheckpoint)
        : base($"training diverged at step {globalStep} (epoch {epoch + 1}, batch {batch + 1}): {what} is {value}. " +
            (lastCheckpoint is null ? "No checkpoint was written yet. " : $"The last good checkpoint {lastCheckpoint} is kept. ") +
            "Try a lower learning rate (--lr), a warm-up (--warmup-epochs) or gradient clipping (--grad-clip).")
    {
        GlobalStep = globalStep;
        Epoch = epoch;
        Batch = batch;
        Value = value;
        ExitName = exitName;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>The failing step (1-based).</summary>
    public long GlobalStep { get; }

    /// <summary>Epoch of the failing step, from 0.</summary>
    public int Epoch { get; }

    /// <summary>Batch of the failing step within its epoch, from 0.</summary>
    public int Batch { get; }

    /// <summary>The non-finite value.</summary>
    public double Value { get; }

    /// <summary>The exit whose loss went bad, or null when the gradient norm did.</summary>
    public string? ExitName { get; }

    /// <summary>The last good checkpoint directory, or null.</summary>
    public string? LastCheckpoint { get; }
}
