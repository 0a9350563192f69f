using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models;

/// <summary>
/// A multi-exit model: a chain of segments; exit k reads the state after segment k (../shared/DESIGN.md,
/// "the multi-exit contract"). Training and simulated evaluation use <see cref="ForwardAll"/>; real early exit uses
/// <see cref="Start"/>, <see cref="RunToExit"/> and <see cref="ExitState.Keep"/>. Both paths must give the same
/// logits (a test checks every registered model).
/// </summary>
public abstract class MultiExitModel : Module
{
    /// <summary>The exits in execution order.</summary>
    public abstract IReadOnlyList<ExitInfo> Exits { get; }

    /// <summary>Number of classes (width of every exit's logits).</summary>
    public abstract int NumClasses { get; }

    /// <summary>Input shape per sample (C, H, W).</summary>
    public abstract int[] InputShape { get; }

    /// <summary>Runs the stem on a batch (N, C, H, W) and returns the state before segment 0.</summary>
    /// <exception cref="ArgumentException">The input's per-sample shape is not <see cref="InputShape"/>.</exception>
    public ExitState Start(Tensor input)
    {
        if (input.Rank != InputShape.Length + 1 || !input.Shape.AsSpan(1).SequenceEqual(InputShape))
        {
            throw new ArgumentException($"{GetType().Name} expects input (N, {string.Join(", ", InputShape)}), got {Shape.Format(input.Shape)}");
        }

        var s = StartCore(input);
        s.ExitsDone = 0;
        return s;
    }

    /// <summary>
    /// Runs segment <paramref name="k"/> on <paramref name="state"/> (in place) and returns exit k's logits (N, K)
    /// for the samples in the state. Exits run in order: k must equal <see cref="ExitState.ExitsDone"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">k is not the next exit.</exception>
    public Tensor RunToExit(ExitState state, int k)
    {
        if (k != state.ExitsDone || k >= Exits.Count)
        {
            throw new InvalidOperationException($"RunToExit({k}): the next exit of this state is {state.ExitsDone} of {Exits.Count}");
        }

        var logits = RunToExitCore(state, k);
        state.ExitsDone = k + 1;
        return logits;
    }

    /// <summary>Every exit's logits for a batch (training and simulated evaluation).</summary>
    public virtual ExitOutputs ForwardAll(Tensor input)
    {
        var s = Start(input);
        var logits = new Tensor[Exits.Count];
        for (int k = 0; k < logits.Length; k++)
        {
            logits[k] = RunToExit(s, k);
        }

        return new ExitOutputs(Exits, logits);
    }

    /// <summary>
    /// The model's own loss recipe (exit weights, self-distillation), or null for the trainer's generic default
    /// (equal weights, no distillation). Used when the exit weighting is the <c>model</c> scheme.
    /// </summary>
    public virtual ExitLossDefaults? DefaultLoss => null;

    /// <summary>The final exit's logits.</summary>
    public override Tensor Forward(Tensor x) => ForwardAll(x).Final;

    /// <summary>Model-specific stem.</summary>
    protected abstract ExitState StartCore(Tensor input);

    /// <summary>Model-specific segment k + exit head k.</summary>
    protected abstract Tensor RunToExitCore(ExitState state, int k);
}
