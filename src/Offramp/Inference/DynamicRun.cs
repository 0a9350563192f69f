using Offramp.Models;

namespace Offramp.Inference;

/// <summary>
/// The outcome of a <see cref="DynamicRunner"/>: per sample (in input order) the exit it answered at, its prediction,
/// confidence and counted MACs; in aggregate the accuracy, the exit histogram, the average MACs and the measured wall
/// time beside the full model's, so the counted speed-up can be checked against the measured one.
/// </summary>
public sealed class DynamicRun
{
    private readonly int[] _exit;
    private readonly int[] _prediction;
    private readonly double[] _confidence;
    private readonly int[]? _labels;
    private readonly int[] _histogram;
    private readonly double[] _costs;

    internal DynamicRun(
        string policy, IReadOnlyList<ExitInfo> exits, int[] exit, int[] prediction, double[] confidence, int[]? labels,
        double dynamicSeconds, double fullSeconds, int batches, int batchSize, int threads, bool pooled = false)
    {
        Pooled = pooled;
        Policy = policy;
        ExitNames = [.. exits.Select(e => e.Name)];
        _costs = [.. exits.Select(e => (double)e.Macs)];
        _exit = exit;
        _prediction = prediction;
        _confidence = confidence;
        _labels = labels;
        _histogram = new int[exits.Count];
        int right = 0;
        for (int i = 0; i < exit.Length; i++)
        {
            _histogram[exit[i]]++;
            right += labels is not null && labels[i] == prediction[i] ? 1 : 0;
        }

        Accuracy = labels is null || exit.Length == 0 ? double.NaN : (double)right / exit.Length;
        AverageMacs = exit.Length == 0 ? 0 : SimulatedRun.ExpectedCost(_histogram, exit.Length, _costs);
        DynamicSeconds = dynamicSeconds;
        FullSeconds = fullSeconds;
        Batches = batches;
        BatchSize = batchSize;
        Threads = threads;
    }

    /// <summary>The policy's description.</summary>
    public string Policy { get; }

    /// <summary>The exits' names, in execution order.</summary>
    public IReadOnlyList<string> ExitNames { get; }

    /// <summary>C_k per exit (cumulative MACs per sample).</summary>
    public IReadOnlyList<double> ExitMacs => _costs;

    /// <summary>Number of samples.</summary>
    public int Samples => _exit.Length;

    /// <summary>Per sample, the exit (0-based) it answered at.</summary>
    public IReadOnlyList<int> ExitIndex => _exit;

    /// <summary>Per sample, the predicted class.</summary>
    public IReadOnlyList<int> Prediction => _prediction;

    /// <summary>Per sample, the answering exit's max-softmax probability.</summary>
    public IReadOnlyList<double> Confidence => _confidence;

    /// <summary>Per sample, the labels given (null when any batch was unlabelled).</summary>
    public IReadOnlyList<int>? Labels => _labels;

    /// <summary>Per sample, the MACs it cost: C_k of its exit.</summary>
    public double Macs(int sample) => _costs[_exit[sample]];

    /// <summary>n_k per exit.</summary>
    public IReadOnlyList<int> Histogram => _histogram;

    /// <summary>Share of samples predicted right; NaN when unlabelled.</summary>
    public double Accuracy { get; }

    /// <summary>Average counted MACs per sample, Σ_k (n_k/N)·C_k.</summary>
    public double AverageMacs { get; }

    /// <summary>The full model's MACs per sample, C_E.</summary>
    public double FullMacs => _costs[^1];

    /// <summary>Speed-up in counted MACs, C_E / average MACs.</summary>
    public double MacSpeedup => FullMacs / AverageMacs;

    /// <summary>Measured wall time of the dynamic runs (sum over batches of each batch's median), seconds.</summary>
    public double DynamicSeconds { get; }

    /// <summary>Measured wall time of the full model on the same batches, seconds; NaN when not measured.</summary>
    public double FullSeconds { get; }

    /// <summary>Measured speed-up, full time / dynamic time (NaN when the full model was not timed).</summary>
    public double MeasuredSpeedup => FullSeconds / DynamicSeconds;

    /// <summary>"Normalised latency" (fast_robust_early_exit): dynamic time / full time.</summary>
    public double NormalizedLatency => DynamicSeconds / FullSeconds;

    /// <summary>Measured speed-up / counted speed-up: 1 when real early exit pays exactly what the MACs promise.</summary>
    public double SpeedupEfficiency => MeasuredSpeedup / MacSpeedup;

    /// <summary>Batches run.</summary>
    public int Batches { get; }

    /// <summary>The largest batch size.</summary>
    public int BatchSize { get; }

    /// <summary>Kernel threads during the run (<see cref="Offramp.Engine.Parallelism.Threads"/>).</summary>
    public int Threads { get; }

    /// <summary>True when the samples going on were pooled across batches (<see cref="DynamicRunOptions.PoolAcrossBatches"/>).</summary>
    public bool Pooled { get; }

    /// <summary>E.g. <c>acc 0.9120, MACs 1.2E+06 (×2.1), time ×1.9, exits [40, 30, 30]</c>.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"acc {Accuracy:F4}, MACs {AverageMacs:G6} (×{MacSpeedup:F2}), measured ×{MeasuredSpeedup:F2}, exits [{string.Join(", ", _histogram)}]");
}
