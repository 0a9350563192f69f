using System.Globalization;
using System.Text.Json.Nodes;
using Offramp.Engine;
using Offramp.Inference;
using Offramp.Models;

namespace Offramp.Analysis;

/// <summary>
/// Measured latency per exit: the wall time from the start of a batch to the end of exit k on the staged path
/// (<see cref="MultiExitModel.Start"/>, then <see cref="MultiExitModel.RunToExit"/> 0..k), median over repeated runs
/// after warm-up, with the batch size and thread count it was measured at. Counted MACs alone do not prove a
/// speed-up; this is the time side.
/// </summary>
public static class ExitLatency
{
    /// <summary>Measures one batch size.</summary>
    /// <param name="model">The model (evaluation mode and no gradients during the measurement; its mode is restored).</param>
    /// <param name="batchSize">Samples per batch (≥ 1).</param>
    /// <param name="repeats">Timed runs (≥ 1); each exit's figure is the median.</param>
    /// <param name="warmup">Untimed runs first (≥ 0).</param>
    /// <param name="seed">Seed of the random input (standard normal).</param>
    /// <param name="clock">The clock; null for <see cref="StopwatchClock"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public static ExitLatencyResult Measure(
        MultiExitModel model, int batchSize, int repeats = 20, int warmup = 3, ulong seed = 0, IClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        clock ??= StopwatchClock.Instance;
        int e = model.Exits.Count;
        var input = Tensor.Randn(new Rng(seed), [batchSize, .. model.InputShape]);
        var times = new double[e][];
        for (int k = 0; k < e; k++)
        {
            times[k] = new double[repeats];
        }

        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var frozen = FrozenWeights.Freeze();
            var row = new double[e];
            for (int r = -warmup; r < repeats; r++)
            {
                using var step = TensorMemory.Step();
                var t0 = clock.Now;
                var state = model.Start(input);
                for (int k = 0; k < e; k++)
                {
                    model.RunToExit(state, k);
                    row[k] = (clock.Now - t0).TotalSeconds;
                }

                if (r >= 0)
                {
                    for (int k = 0; k < e; k++)
                    {
                        times[k][r] = row[k];
                    }
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }

        return new ExitLatencyResult(
            batchSize, repeats, warmup, Parallelism.Threads,
            [.. model.Exits.Select(x => x.Name)], [.. model.Exits.Select(x => x.Macs)], [.. times.Select(DynamicRunner.Median)]);
    }
}

/// <summary>Latency per exit at one batch size (<see cref="ExitLatency.Measure"/>).</summary>
/// <param name="BatchSize">Samples per batch.</param>
/// <param name="Repeats">Timed runs the medians are over.</param>
/// <param name="Warmup">Untimed runs before them.</param>
/// <param name="Threads">Kernel threads during the measurement.</param>
/// <param name="ExitNames">Exit names, in execution order.</param>
/// <param name="ExitMacs">C_k per sample.</param>
/// <param name="MedianSeconds">Per exit, the median wall time from the batch's start to the end of that exit.</param>
public sealed record ExitLatencyResult(
    int BatchSize, int Repeats, int Warmup, int Threads, IReadOnlyList<string> ExitNames, IReadOnlyList<long> ExitMacs,
    IReadOnlyList<double> MedianSeconds)
{
    /// <summary>Per exit, the median time per sample in milliseconds (batch time / batch size).</summary>
    public IReadOnlyList<double> MillisecondsPerSample => [.. MedianSeconds.Select(s => 1000 * s / BatchSize)];

    /// <summary>As JSON: batch_size, repeats, warmup, threads and per exit name, macs, median_s, ms_per_sample.</summary>
    public JsonObject ToJson()
    {
        var exits = new JsonArray();
        for (int k = 0; k < ExitNames.Count; k++)
        {
            exits.Add(new JsonObject
            {
                ["name"] = ExitNames[k],
                ["macs"] = ExitMacs[k],
                ["median_s"] = MedianSeconds[k],
                ["ms_per_sample"] = MillisecondsPerSample[k],
            });
        }

        return new JsonObject
        {
            ["batch_size"] = BatchSize, ["repeats"] = Repeats, ["warmup"] = Warmup, ["threads"] = Threads, ["exits"] = exits,
        };
    }

    /// <summary>E.g. <c>batch 64, 1 thread: exit1 1.2 ms, exit2 2.3 ms</c>.</summary>
    public override string ToString() => $"batch {BatchSize}, {Threads} thread(s): " + string.Join(", ",
        ExitNames.Select((n, k) => string.Create(CultureInfo.InvariantCulture, $"{n} {MedianSeconds[k] * 1000:G4} ms")));
}
