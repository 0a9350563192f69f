using Offramp.Engine;

namespace Offramp.Models;

/// <summary>
/// What a multi-exit model carries between segments for the samples still running: the feature map, a latent
/// code, the previous exit's logits, ViT tokens… <see cref="Keep"/> drops the samples that have exited so the rest
/// of the batch continues smaller — real early exit, and how the saved time becomes measurable.
/// </summary>
public abstract class ExitState
{
    /// <summary>Number of exits already evaluated (the next call to RunToExit must ask for this index).</summary>
    public int ExitsDone { get; internal set; }

    /// <summary>Samples still in the batch.</summary>
    public abstract int BatchSize { get; }

    /// <summary>
    /// A state holding only <paramref name="rows"/> (indices into the current batch, ascending), in that order.
    /// The returned state continues from the same exit.
    /// </summary>
    /// <exception cref="ArgumentException">A row is out of range or rows are not strictly ascending.</exception>
    public ExitState Keep(int[] rows)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)BatchSize || (i > 0 && rows[i] <= rows[i - 1]))
            {
                throw new ArgumentException($"Keep: rows must be strictly ascending indices below the batch size {BatchSize}; got [{string.Join(", ", rows)}]");
            }
        }

        var s = KeepRows(rows);
        s.ExitsDone = ExitsDone;
        return s;
    }

    /// <summary>Model-specific row selection (validated by <see cref="Keep"/>).</summary>
    protected abstract ExitState KeepRows(int[] rows);

    /// <summary>Selects rows along dim 0 of a tensor (helper for implementations).</summary>
    protected static Tensor SelectRows(Tensor t, int[] rows) => t.IndexSelect(0, rows);
}

/// <summary>The common case: the state is one tensor (a feature map or token sequence) with the batch on dim 0.</summary>
public sealed class TensorExitState(Tensor features) : ExitState
{
    /// <summary>The running features.</summary>
    public Tensor Features { get; set; } = features;

    /// <inheritdoc/>
    public override int BatchSize => Features.Shape[0];

    /// <inheritdoc/>
    protected override ExitState KeepRows(int[] rows) => new TensorExitState(SelectRows(Features, rows));
}
