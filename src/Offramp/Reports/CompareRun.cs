using Offramp.Inference;

namespace Offramp.Reports;

/// <summary>One run of a <see cref="CompareReport"/>: its name, model, size, training length and budgeted curve.</summary>
public sealed record CompareRun
{
    /// <summary>The run's label in the legend and the table (<c>--label</c>, else the run directory's name).</summary>
    public required string Label { get; init; }

    /// <summary>The registered model's name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The budgeted curve: thresholds calibrated on the held-out split, each point evaluated on the test set,
    /// with each exit's anytime point (its name, cumulative MACs and test accuracy).</summary>
    public required BudgetCurve Curve { get; init; }

    /// <summary>Number of parameters of the model.</summary>
    public required long Parameters { get; init; }

    /// <summary>Epochs trained (the training log's last epoch, else the configured epochs).</summary>
    public required int Epochs { get; init; }

    /// <summary>Test samples behind the accuracies; 0 when unknown.</summary>
    public int TestSamples { get; init; }

    /// <summary>The budgeted curve's test-set points as (average MACs, accuracy), unsorted, as measured.</summary>
    public IEnumerable<CostAccuracy> SweepPoints => Curve.Points.Select(p => new CostAccuracy(p.Cost, p.Accuracy));

    /// <summary>Every operating point the run offers: the sweep's and each exit's anytime point (every sample
    /// answers at that exit) — what the within-budget accuracies choose from.</summary>
    public IEnumerable<CostAccuracy> OperatingPoints =>
        SweepPoints.Concat(Curve.Anytime.Select(p => new CostAccuracy(p.Cost, p.Accuracy)));
}
