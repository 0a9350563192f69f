using Offramp.Analysis;
using Offramp.Inference;
using Offramp.Training;

namespace Offramp.Reports;

/// <summary>A dynamic run at a budget, for the report's measured-vs-counted speed-up table.</summary>
/// <param name="BudgetFraction">The budget as a fraction of the full model's MACs.</param>
/// <param name="Run">The dynamic run (its batch size, measured and counted speed-ups).</param>
public sealed record SpeedupMeasurement(double BudgetFraction, DynamicRun Run);

/// <summary>Everything <see cref="RunReport"/> draws: the numbers are computed by the caller (the CLI's
/// <c>offramp report</c>), the report only lays them out, as HTML, JSON and CSV.</summary>
public sealed record RunReportData
{
    /// <summary>The run's name (its directory) for the title.</summary>
    public required string RunName { get; init; }

    /// <summary>The registered model's name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The budgeted curve: calibrated on the held-out split, each point evaluated on the test set, with each
    /// exit's anytime point.</summary>
    public required BudgetCurve Curve { get; init; }

    /// <summary>The thresholds for the report's chosen budget, with their test run (for the exit histogram).</summary>
    public required BudgetResult AtBudget { get; init; }

    /// <summary>Test-set outputs of every exit (per-exit accuracy).</summary>
    public required ExitLogits Test { get; init; }

    /// <summary>Measured latency per exit (batch 1 and batch 64, typically); may be empty.</summary>
    public IReadOnlyList<ExitLatencyResult> Latency { get; init; } = [];

    /// <summary>Dynamic runs at budgets, measured against the full model; may be empty.</summary>
    public IReadOnlyList<SpeedupMeasurement> Speedups { get; init; } = [];

    /// <summary>An anytime run (batch 1, a wall-clock deadline per image) on test images; null for none.</summary>
    public AnytimeRun? Anytime { get; init; }

    /// <summary>The training log (<c>log.jsonl</c>), one entry per epoch; may be empty.</summary>
    public IReadOnlyList<EpochLogEntry> Training { get; init; } = [];
}
