namespace Offramp.Inference;

/// <summary>
/// Thresholds for a budget B (<see cref="ThresholdCalibrator.ForBudget"/>): the calibration-set cost is the
/// largest found ≤ B; the test-set cost, when test outputs were given, is reported beside it — the two differ, and
/// users need both (budgeted-inference.md, step 5).
/// </summary>
/// <param name="Requested">The budget as asked.</param>
/// <param name="BudgetMacs">B in cost units.</param>
/// <param name="Calibration">The chosen thresholds and their calibration-set cost (≤ B), accuracy and histogram.</param>
/// <param name="Test">The thresholds run on the test outputs; null when none were given.</param>
/// <param name="CandidatesEvaluated">How many distributions the search tried.</param>
public sealed record BudgetResult(
    Budget Requested, double BudgetMacs, CalibrationPoint Calibration, SimulatedRun? Test, int CandidatesEvaluated);
