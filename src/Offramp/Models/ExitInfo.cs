namespace Offramp.Models;

/// <summary>One exit of a multi-exit model.</summary>
/// <param name="Index">Position of the exit in execution order (0 = earliest).</param>
/// <param name="Name">Stable name (e.g. "exit1", or Dyn-Perceiver's "early3", "att", "cnn", "merge").</param>
/// <param name="Macs">Cumulative multiply–accumulates per sample to reach and evaluate this exit, in the order
/// the staged forward really runs (0 until counted; see the model's cost accounting).</param>
public sealed record ExitInfo(int Index, string Name, long Macs = 0);
