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

    /// <summary>
    /// One state holding the samples of <paramref name="states"/> one after another (each in its own order), for the
    /// dynamic runner to gather the samples that went on past the same exit in several batches into one batch.
    /// </summary>
    /// <exception cref="ArgumentException">No states, states of different types, or states at different exits.</exception>
    /// <exception cref="NotSupportedException">The state type does not implement <see cref="ConcatRows"/>.</exception>
    public static ExitState Concat(IReadOnlyList<ExitState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0)
        {
            throw new ArgumentException("Concat: no states", nameof(states));
        }

        var first = states[0];
        foreach (var s in states)
        {
            if (s.GetType() != first.GetType() || s.ExitsDone != first.ExitsDone)
            {
                throw new ArgumentException(
                    $"Concat: states must be of one type and at one exit; got {first.GetType().Name} after {first.ExitsDone} exits and {s.GetType().Name} after {s.ExitsDone}",
                    nameof(states));
            }
        }

        if (states.Count == 1)
        {
            return first;
        }

        var c = first.ConcatRows(states);
        c.ExitsDone = first.ExitsDone;
        return c;
    }

    /// <summary>Model-specific concatenation along the batch (validated by <see cref="Concat"/>: the states are all of
    /// this type and at this exit). The default throws <see cref="NotSupportedException"/>.</summary>
    protected virtual ExitState ConcatRows(IReadOnlyList<ExitState> states) =>
        throw new NotSupportedException($"{GetType().Name} does not support Concat (pooling samples across batches)");

    /// <summary>Concatenates one tensor of every state along dim 0 (helper for implementations); null when the tensor
    /// is null in every state.</summary>
    /// <exception cref="ArgumentException">The tensor is null in some states only.</exception>
    protected static Tensor? CatRows<TState>(IReadOnlyList<ExitState> states, Func<TState, Tensor?> part)
        where TState : ExitState
    {
        var parts = states.Select(s => part((TState)s)).ToList();
        if (parts.All(t => t is null))
        {
            return null;
        }

        if (parts.Any(t => t is null))
        {
            throw new ArgumentException($"Concat: a {typeof(TState).Name} part is missing in some states only");
        }

        return Tensor.Cat(parts!, 0);
    }

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

    /// <inheritdoc/>
    protected override ExitState ConcatRows(IReadOnlyList<ExitState> states) =>
        new TensorExitState(CatRows<TensorExitState>(states, s => s.Features)!);
}
