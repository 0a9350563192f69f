namespace Offramp.Inference;

/// <summary>The accuracy reached within a fraction of the full model's cost (the regimes benchmark's 25/50/75/100 %
/// table).</summary>
/// <param name="Fraction">The fraction f of the full cost.</param>
/// <param name="Budget">f·C_E.</param>
/// <param name="Accuracy">Accuracy of the chosen curve point; NaN when no point costs ≤ f·C_E.</param>
/// <param name="Cost">Average cost of the chosen point; NaN when none.</param>
public sealed record CostFractionAccuracy(double Fraction, double Budget, double Accuracy, double Cost);
