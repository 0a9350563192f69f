namespace Offramp.Inference;

/// <summary>One point of a budgeted sweep: thresholds for one p, and (when test outputs were given) their test run.</summary>
/// <param name="Calibration">The thresholds and their calibration-set numbers.</param>
/// <param name="Test">The test-set run; null without test outputs.</param>
public sealed record CurvePoint(CalibrationPoint Calibration, SimulatedRun? Test)
{
    /// <summary>The cost the curve plots: the test set's when present, else the calibration set's.</summary>
    public double Cost => Test?.AverageCost ?? Calibration.Cost;

    /// <summary>The accuracy the curve plots: the test set's when present, else the calibration set's.</summary>
    public double Accuracy => Test?.Accuracy ?? Calibration.Accuracy;
}
