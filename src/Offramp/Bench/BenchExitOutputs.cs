using Offramp.Engine;

namespace Offramp.Bench;

/// <summary>
/// The logits of the exits a bench model ran, in exit order: <c>Logits[k]</c> is exit k+1's (N, K) output.
/// A forward "up to exit k" returns exactly k entries.
/// </summary>
/// <param name="Logits">Per-exit logits, (N, K) each.</param>
public sealed record BenchExitOutputs(IReadOnlyList<Tensor> Logits)
{
    /// <summary>Number of exits that ran.</summary>
    public int Count => Logits.Count;

    /// <summary>The logits of the deepest exit that ran.</summary>
    public Tensor Last => Logits[^1];
}
