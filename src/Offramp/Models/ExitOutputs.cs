using Offramp.Engine;

namespace Offramp.Models;

/// <summary>The logits of every exit for one batch: a typed result, never a bare list by position.</summary>
public sealed class ExitOutputs
{
    /// <summary>Creates the outputs; <paramref name="logits"/>[k] is exit k's (N, K) logits.</summary>
    /// <exception cref="ArgumentException">The counts differ or the logits disagree in batch size.</exception>
    public ExitOutputs(IReadOnlyList<ExitInfo> exits, IReadOnlyList<Tensor> logits)
    {
        if (exits.Count != logits.Count || logits.Count == 0)
        {
            throw new ArgumentException($"ExitOutputs: {logits.Count} logits for {exits.Count} exits");
        }

        int n = logits[0].Shape[0];
        foreach (var l in logits)
        {
            if (l.Shape[0] != n)
            {
                throw new ArgumentException($"ExitOutputs: logits {Shape.Format(l.Shape)} disagree with batch size {n}");
            }
        }

        Exits = exits;
        Logits = logits;
    }

    /// <summary>The exits, in execution order.</summary>
    public IReadOnlyList<ExitInfo> Exits { get; }

    /// <summary>Per-exit logits, (N, K) each.</summary>
    public IReadOnlyList<Tensor> Logits { get; }

    /// <summary>Number of exits.</summary>
    public int Count => Logits.Count;

    /// <summary>Exit k's logits.</summary>
    public Tensor this[int k] => Logits[k];

    /// <summary>The last exit's logits (the full model's answer).</summary>
    public Tensor Final => Logits[^1];
}
