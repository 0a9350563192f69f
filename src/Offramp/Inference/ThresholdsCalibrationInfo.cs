namespace Offramp.Inference;

/// <summary>How the thresholds in a <see cref="ThresholdsFile"/> were calibrated, and what they gave on the
/// calibration set.</summary>
/// <param name="Cost">Calibration-set expected cost per sample.</param>
/// <param name="Accuracy">Calibration-set accuracy (NaN when unlabelled).</param>
/// <param name="Samples">Calibration samples N.</param>
/// <param name="Generator">Where the target distribution came from (<c>msdnet</c>, <c>dyn_perceiver</c>, <c>one_hot</c>,
/// <c>custom</c>).</param>
/// <param name="P">The family parameter p, when any.</param>
/// <param name="Distribution">The target exit distribution q.</param>
/// <param name="Histogram">Calibration-set exit counts n_k.</param>
public sealed record ThresholdsCalibrationInfo(
    double Cost, double Accuracy, int Samples, string Generator, double? P, IReadOnlyList<double> Distribution, IReadOnlyList<int> Histogram)
{
    /// <summary>The calibration details of a calibrator's point.</summary>
    public static ThresholdsCalibrationInfo From(CalibrationPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        return new(point.Cost, point.Accuracy, point.Samples, point.Generator, point.P, [.. point.Distribution], [.. point.Histogram]);
    }
}
