using System.Globalization;
using Offramp.Models;

namespace Offramp.Inference;

/// <summary>
/// Every exit's outputs for N samples, the labels and the exits' cumulative costs: what calibration and simulated
/// runs need, so they can run (and be re-run) without the model. Save it with <see cref="Save"/>.
/// </summary>
/// <remarks>
/// <para>Outputs are float32 in one (E, N, K) row-major buffer: exit k's outputs of sample n are
/// <c>[(k·N + n)·K, +K)</c>. They are logits, or probabilities when <see cref="IsProbabilities"/> (as MSDNet's
/// <c>calc_logit</c> stores softmax outputs); for regression K is the output dimension and there are no labels.</para>
/// <para>Costs are cumulative per exit, per sample, in execution order (<see cref="ExitInfo.Macs"/>: MACs to reach
/// and evaluate exit k), so they never decrease. Any unit works as long as budgets use the same one.</para>
/// <para>Instances are immutable; confidences and predictions are computed once, on first use.</para>
/// </remarks>
public sealed partial class ExitLogits
{
    private readonly float[] _values;
    private readonly int[]? _labels;
    private readonly double[] _costs;
    private readonly string[] _exitNames;
    private readonly Lazy<int[]> _predictions;
    private readonly Lazy<double[]>[] _scores;
    private ModelIdentity? _identity;

    /// <summary>Creates the set over a copy of <paramref name="values"/> ((E, N, K) row-major).</summary>
    /// <param name="values">E·N·K outputs, exit-major then sample then class; all finite.</param>
    /// <param name="exits">E ≥ 1.</param>
    /// <param name="samples">N ≥ 1.</param>
    /// <param name="classes">K ≥ 1.</param>
    /// <param name="costs">E cumulative costs per sample, finite, ≥ 0, non-decreasing.</param>
    /// <param name="labels">N labels in [0, K), or null (regression, or unlabelled data).</param>
    /// <param name="exitNames">E distinct non-empty names; null gives exit1..exitE.</param>
    /// <param name="modelName">The model's name (part of its identity in a thresholds file); null for "".</param>
    /// <param name="isProbabilities">True when the outputs are probabilities rather than logits.</param>
    /// <exception cref="ArgumentException">A size, value, label, cost or name breaks the rules above; the message
    /// shows the shapes and the first offending position.</exception>
    public ExitLogits(
        ReadOnlySpan<float> values,
        int exits,
        int samples,
        int classes,
        IReadOnlyList<double> costs,
        IReadOnlyList<int>? labels = null,
        IReadOnlyList<string>? exitNames = null,
        string? modelName = null,
        bool isProbabilities = false)
        : this(values.ToArray(), exits, samples, classes, [.. costs], labels?.ToArray(), exitNames?.ToArray(), modelName, isProbabilities)
    {
    }

    /// <summary>Takes ownership of every array (callers in this assembly pass fresh ones).</summary>
    internal ExitLogits(
        float[] values, int exits, int samples, int classes, double[] costs, int[]? labels, string[]? exitNames,
        string? modelName, bool isProbabilities)
    {
        Validate(values, exits, samples, classes, costs, labels, exitNames);
        _values = values;
        _costs = costs;
        _labels = labels;
        _exitNames = exitNames ?? [.. Enumerable.Range(1, exits).Select(k => $"exit{k}")];
        Exits = exits;
        Samples = samples;
        Classes = classes;
        ModelName = modelName ?? "";
        IsProbabilities = isProbabilities;
        _predictions = new Lazy<int[]>(ComputePredictions);
        _scores =
        [
            new Lazy<double[]>(() => ComputeScores(ConfidenceMeasure.MaxSoftmax)),
            new Lazy<double[]>(() => ComputeScores(ConfidenceMeasure.Entropy)),
        ];
    }

    /// <summary>Number of exits E.</summary>
    public int Exits { get; }

    /// <summary>Number of samples N.</summary>
    public int Samples { get; }

    /// <summary>Outputs per exit K (classes; output dimensions for regression).</summary>
    public int Classes { get; }

    /// <summary>True when the outputs are probabilities, false for logits.</summary>
    public bool IsProbabilities { get; }

    /// <summary>The model's name ("" when unknown).</summary>
    public string ModelName { get; }

    /// <summary>The exits' names, in execution order.</summary>
    public IReadOnlyList<string> ExitNames => _exitNames;

    /// <summary>Cumulative cost per sample of reaching and evaluating each exit (C_1 ≤ … ≤ C_E).</summary>
    public IReadOnlyList<double> Costs => _costs;

    /// <summary>The full model's cost per sample, C_E.</summary>
    public double FullCost => _costs[^1];

    /// <summary>The N labels, or null when the set is unlabelled.</summary>
    public IReadOnlyList<int>? Labels => _labels;

    /// <summary>All outputs, (E, N, K) row-major.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The identity of the model these outputs come from (name, exit names, costs).</summary>
    public ModelIdentity Identity => _identity ??= new(ModelName, _exitNames, _costs);

    /// <summary>Exit <paramref name="exit"/>'s K outputs for sample <paramref name="sample"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public ReadOnlySpan<float> Output(int exit, int sample)
    {
        CheckIndex(exit, sample);
        return _values.AsSpan(Offset(exit, sample), Classes);
    }

    /// <summary>What a policy sees for <paramref name="sample"/> at exit <paramref name="exit"/>: exits 0..exit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public SampleOutputs Sample(int sample, int exit)
    {
        CheckIndex(exit, sample);
        return new SampleOutputs(_values, sample * Classes, Samples * Classes, exit + 1, Classes, IsProbabilities);
    }

    /// <summary>
    /// Concatenates the outputs of a model's forward passes over a data set (e.g. from
    /// <see cref="MultiExitModel.ForwardAll"/>, one <see cref="ExitOutputs"/> per batch, in data-set order).
    /// </summary>
    /// <param name="batches">One or more batches with the same exits (names) and the same K.</param>
    /// <param name="labels">Per batch, its labels (as many as the batch's rows); null for unlabelled data.</param>
    /// <param name="costs">E cumulative costs; null takes <see cref="ExitInfo.Macs"/> of the batches' exits.</param>
    /// <param name="modelName">The model's name, for its identity; null for "".</param>
    /// <param name="isProbabilities">True when the batches hold probabilities rather than logits.</param>
    /// <exception cref="ArgumentException">No batches; the batches disagree in exits or K; a batch's logits are not
    /// (N, K); labels do not match the batches; costs are null and the exits' MACs were never counted (all 0).</exception>
    public static ExitLogits FromOutputs(
        IReadOnlyList<ExitOutputs> batches,
        IReadOnlyList<int[]>? labels = null,
        IReadOnlyList<double>? costs = null,
        string? modelName = null,
        bool isProbabilities = false)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
        {
            throw new ArgumentException("ExitLogits.FromOutputs: no batches", nameof(batches));
        }

        if (labels is not null && labels.Count != batches.Count)
        {
            throw new ArgumentException($"ExitLogits.FromOutputs: {labels.Count} label arrays for {batches.Count} batches", nameof(labels));
        }

        var exits = batches[0].Exits;
        int e = exits.Count;
        if (batches[0][0].Rank != 2)
        {
            throw new ArgumentException(
                $"ExitLogits.FromOutputs: batch 0 exit '{exits[0].Name}' logits {Engine.Shape.Format(batches[0][0].Shape)}, expected (N, K)", nameof(batches));
        }

        int k = batches[0][0].Shape[1];
        long n = 0;
        for (int b = 0; b < batches.Count; b++)
        {
            var batch = batches[b];
            if (batch.Count != e || !batch.Exits.Select(x => x.Name).SequenceEqual(exits.Select(x => x.Name)))
            {
                throw new ArgumentException(
                    $"ExitLogits.FromOutputs: batch {b} has exits [{string.Join(", ", batch.Exits.Select(x => x.Name))}], batch 0 has [{string.Join(", ", exits.Select(x => x.Name))}]",
                    nameof(batches));
            }

            for (int x = 0; x < e; x++)
            {
                var t = batch[x];
                if (t.Rank != 2 || t.Shape[1] != k)
                {
                    throw new ArgumentException(
                        $"ExitLogits.FromOutputs: batch {b} exit '{exits[x].Name}' logits {Engine.Shape.Format(t.Shape)}, expected (N, {k})",
                        nameof(batches));
                }
            }

            int rows = batch[0].Shape[0];
            if (labels is not null && labels[b].Length != rows)
            {
                throw new ArgumentException($"ExitLogits.FromOutputs: batch {b} has {rows} samples but {labels[b].Length} labels", nameof(labels));
            }

            n += rows;
        }

        double[] c = costs is not null ? [.. costs] : [.. exits.Select(x => (double)x.Macs)];
        if (costs is null && c.All(v => v == 0))
        {
            throw new ArgumentException(
                "ExitLogits.FromOutputs: the exits' MACs were never counted (all ExitInfo.Macs are 0); pass costs", nameof(costs));
        }

        int total = CheckedSize(e, n, k);
        var values = new float[total];
        int samples = (int)n;
        int row = 0;
        foreach (var batch in batches)
        {
            int rows = batch[0].Shape[0];
            for (int x = 0; x < e; x++)
            {
                batch[x].ToArray().CopyTo(values.AsSpan(((x * samples) + row) * k, rows * k));
            }

            row += rows;
        }

        int[]? lab = labels is null ? null : [.. labels.SelectMany(l => l)];
        return new ExitLogits(values, e, samples, k, c, lab, [.. exits.Select(x => x.Name)], modelName, isProbabilities);
    }

    /// <summary>Builds the set from one array per exit, each N·K outputs ((N, K) row-major).</summary>
    /// <exception cref="ArgumentException">The arrays differ in length or do not hold N·K values; otherwise as for
    /// the constructor.</exception>
    public static ExitLogits FromArrays(
        IReadOnlyList<float[]> perExit,
        int classes,
        IReadOnlyList<double> costs,
        IReadOnlyList<int>? labels = null,
        IReadOnlyList<string>? exitNames = null,
        string? modelName = null,
        bool isProbabilities = false)
    {
        ArgumentNullException.ThrowIfNull(perExit);
        if (perExit.Count == 0 || classes < 1 || perExit[0].Length % classes != 0)
        {
            throw new ArgumentException(
                $"ExitLogits.FromArrays: {perExit.Count} exits of {(perExit.Count > 0 ? perExit[0].Length : 0)} values do not split into K = {classes}",
                nameof(perExit));
        }

        int n = perExit[0].Length / classes;
        var values = new float[CheckedSize(perExit.Count, n, classes)];
        for (int x = 0; x < perExit.Count; x++)
        {
            if (perExit[x].Length != n * classes)
            {
                throw new ArgumentException($"ExitLogits.FromArrays: exit {x} has {perExit[x].Length} values, exit 0 has {n * classes}", nameof(perExit));
            }

            perExit[x].CopyTo(values, x * n * classes);
        }

        return new ExitLogits(values, perExit.Count, n, classes, [.. costs], labels?.ToArray(), exitNames?.ToArray(), modelName, isProbabilities);
    }

    /// <summary>The labels array itself (not copied; never modify).</summary>
    internal int[]? LabelArray => _labels;

    /// <summary>argmax per (exit, sample), index k·N + n.</summary>
    internal int[] Predictions => _predictions.Value;

    /// <summary>Scores (higher = readier to exit, <see cref="ExitConfidence.Score"/>) per (exit, sample), k·N + n.</summary>
    internal double[] Scores(ConfidenceMeasure measure) => _scores[(int)measure].Value;

    private int Offset(int exit, int sample) => ((exit * Samples) + sample) * Classes;

    private void CheckIndex(int exit, int sample)
    {
        if ((uint)exit >= (uint)Exits || (uint)sample >= (uint)Samples)
        {
            throw new ArgumentOutOfRangeException(nameof(exit), $"(exit {exit}, sample {sample}) outside ({Exits} exits, {Samples} samples)");
        }
    }

    private int[] ComputePredictions()
    {
        var p = new int[Exits * Samples];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = ExitConfidence.ArgMax(_values.AsSpan(i * Classes, Classes));
        }

        return p;
    }

    private double[] ComputeScores(ConfidenceMeasure measure)
    {
        var s = new double[Exits * Samples];
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = ExitConfidence.Score(measure, _values.AsSpan(i * Classes, Classes), IsProbabilities);
        }

        return s;
    }

    private static int CheckedSize(int exits, long samples, int classes)
    {
        long total = exits * samples * classes;
        if (exits < 1 || samples < 1 || classes < 1 || total > Array.MaxLength)
        {
            throw new ArgumentException($"ExitLogits: ({exits}, {samples}, {classes}) outputs: need E, N, K ≥ 1 and E·N·K ≤ {Array.MaxLength}");
        }

        return (int)total;
    }

    private static void Validate(float[] values, int exits, int samples, int classes, double[] costs, int[]? labels, string[]? names)
    {
        if (CheckedSize(exits, samples, classes) != values.Length)
        {
            throw new ArgumentException($"ExitLogits: {values.Length} values for (E, N, K) = ({exits}, {samples}, {classes})", nameof(values));
        }

        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            int per = samples * classes;
            throw new ArgumentException(
                $"ExitLogits: output (exit {bad / per}, sample {bad % per / classes}, class {bad % classes}) is {values[bad].ToString(CultureInfo.InvariantCulture)}", nameof(values));
        }

        if (costs.Length != exits)
        {
            throw new ArgumentException($"ExitLogits: {costs.Length} costs for {exits} exits", nameof(costs));
        }

        for (int k = 0; k < exits; k++)
        {
            if (!double.IsFinite(costs[k]) || costs[k] < 0 || (k > 0 && costs[k] < costs[k - 1]))
            {
                throw new ArgumentException(
                    $"ExitLogits: costs [{string.Join(", ", costs.Select(c => c.ToString("G6", CultureInfo.InvariantCulture)))}] must be finite, ≥ 0 and cumulative (non-decreasing); exit {k} breaks it",
                    nameof(costs));
            }
        }

        if (labels is not null)
        {
            if (labels.Length != samples)
            {
                throw new ArgumentException($"ExitLogits: {labels.Length} labels for {samples} samples", nameof(labels));
            }

            int l = Array.FindIndex(labels, y => (uint)y >= (uint)classes);
            if (l >= 0)
            {
                throw new ArgumentException($"ExitLogits: label {labels[l]} of sample {l} outside [0, {classes})", nameof(labels));
            }
        }

        if (names is not null && (names.Length != exits || names.Any(string.IsNullOrEmpty) || names.Distinct(StringComparer.Ordinal).Count() != exits))
        {
            throw new ArgumentException($"ExitLogits: exit names [{string.Join(", ", names)}] must be {exits} distinct non-empty names", nameof(names));
        }
    }
}
