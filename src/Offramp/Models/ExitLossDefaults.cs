namespace Offramp.Models;

/// <summary>
/// A model's own training-loss recipe, used when the training config asks for the model's default exit weights
/// (the <c>model</c> exit-weighting scheme, the default): the Dynamic Perceiver's official loss is weights
/// [0.5, 0.5, 1, 1] over (early3, att, cnn, merge) and self-distillation from the merge exit with α = 0.5, T = 1.
/// </summary>
/// <param name="ExitWeights">Per-exit task-loss weights, in exit order (used as given, not normalised).</param>
/// <param name="DistillAlpha">Self-distillation weight α (0 = none).</param>
/// <param name="DistillTemperature">Self-distillation temperature T.</param>
public sealed record ExitLossDefaults(IReadOnlyList<double> ExitWeights, double DistillAlpha, double DistillTemperature);
