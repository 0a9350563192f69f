namespace Offramp.Inference;

/// <summary>
/// The accuracy-vs-cost curve of budgeted batch classification (one point per p of a distribution family) together
/// with each exit's anytime point (exit k's accuracy vs C_k).
/// </summary>
/// <param name="Family">The distribution family's name.</param>
/// <param name="Points">One point per p, in the family's sweep order.</param>
/// <param name="Anytime">Each exit's accuracy on all samples against C_k (on the test set when given).</param>
/// <param name="FullCost">C_E.</param>
public sealed record BudgetCurve(
    string Family, IReadOnlyList<CurvePoint> Points, IReadOnlyList<AnytimePoint> Anytime, double FullCost)
{
    /// <summary>Accuracy at fractions of the full cost (default 25/50/75/100 %): the point with the largest
    /// plotted cost ≤ f·C_E (see <see cref="SimulatedRunner.AccuracyAtCostFractions"/>).</summary>
    public IReadOnlyList<CostFractionAccuracy> AccuracyAtCostFractions(IReadOnlyList<double>? fractions = null) =>
        SimulatedRunner.AtCostFractions(
            [.. Points.Select(p => (p.Cost, p.Accuracy))], FullCost, fractions ?? SimulatedRunner.DefaultCostFractions);
}
