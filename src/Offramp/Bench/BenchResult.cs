using System.Text.Json.Nodes;

namespace Offramp.Bench;

/// <summary>
/// The figures of one model × input, as <c>torch_bench.py</c>'s <c>bench_model</c> returns them; <see cref="ToJson"/>
/// writes the script's keys (<c>lat_b1_exit1</c>, <c>thr_b64_full</c>, <c>train_b128</c>, …) so one comparer reads both.
/// </summary>
public sealed record BenchResult
{
    /// <summary>Model name (<c>cnn</c>, <c>vit</c>, <c>dp</c>).</summary>
    public required string Model { get; init; }

    /// <summary>Input name (<c>fm</c>, <c>c10</c>).</summary>
    public required string Input { get; init; }

    /// <summary>Kernel threads.</summary>
    public required int Threads { get; init; }

    /// <summary>Number of exits E.</summary>
    public required int Exits { get; init; }

    /// <summary>All parameter elements.</summary>
    public required long ParamsTotal { get; init; }

    /// <summary>Parameter elements needed for exit k, k = 1..E.</summary>
    public required long[] ParamsUpToExit { get; init; }

    /// <summary>Cumulative MACs per image to exit k, k = 1..E.</summary>
    public required long[] MacsUpToExit { get; init; }

    /// <summary>Batch-1 latency running exits 1..k, for k = 1..E (index k − 1).</summary>
    public required BenchTiming[] LatencyB1 { get; init; }

    /// <summary>Batch-64 forward, all exits.</summary>
    public required BenchTiming ThroughputB64 { get; init; }

    /// <summary>Batch-256 forward, all exits.</summary>
    public required BenchTiming ThroughputB256 { get; init; }

    /// <summary>Batch-64 forward, exit 1 only.</summary>
    public required BenchTiming ThroughputB64Exit1 { get; init; }

    /// <summary>Batch-128 training step: forward, backward of the summed exit losses, SGD step.</summary>
    public required BenchTiming TrainB128 { get; init; }

    /// <summary>Bytes held by the training thread's <see cref="Engine.TensorMemory"/> step pool after the training
    /// figure (the activation and gradient working set the arena keeps for reuse).</summary>
    public long TrainArenaBytes { get; init; }

    /// <summary>Whether the training step used <c>ZeroGrad(setToNone: true)</c>.</summary>
    public bool ZeroGradSetToNone { get; init; } = true;

    /// <summary>Images per second of a throughput timing of <paramref name="batch"/> images per call.</summary>
    public static double ImagesPerSecond(BenchTiming t, int batch) => batch / t.MedianS;

    /// <summary>The result as the script's JSON object, with Offramp's extra memory keys inside each timing.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["model"] = Model,
            ["input"] = Input,
            ["threads"] = Threads,
            ["exits"] = Exits,
            ["params_total"] = ParamsTotal,
            ["params_upto_exit"] = new JsonArray([.. ParamsUpToExit.Select(p => (JsonNode)p)]),
            ["macs_upto_exit"] = new JsonArray([.. MacsUpToExit.Select(m => (JsonNode)m)]),
        };
        for (int k = 0; k < LatencyB1.Length; k++)
        {
            o[$"lat_b1_exit{k + 1}"] = TimingJson(LatencyB1[k], null);
        }

        o["thr_b64_full"] = TimingJson(ThroughputB64, 64);
        o["thr_b256_full"] = TimingJson(ThroughputB256, 256);
        o["thr_b64_exit1"] = TimingJson(ThroughputB64Exit1, 64);
        var train = TimingJson(TrainB128, 128);
        train["zero_grad_set_to_none"] = ZeroGradSetToNone;
        train["arena_bytes"] = TrainArenaBytes;
        o["train_b128"] = train;
        return o;
    }

    private static JsonObject TimingJson(BenchTiming t, int? batch)
    {
        var o = new JsonObject
        {
            ["median_s"] = t.MedianS,
            ["min_s"] = t.MinS,
            ["p90_s"] = t.P90S,
            ["runs"] = t.Runs,
            ["probe_ghz"] = double.IsFinite(t.ProbeGhz) ? t.ProbeGhz : null,
        };
        if (batch is { } b)
        {
            o["imgs_per_s"] = ImagesPerSecond(t, b);
        }

        o["alloc_bytes_per_run"] = t.AllocBytesPerRun;
        o["alloc_bytes_per_run_this_thread"] = t.AllocBytesPerRunThisThread;
        o["gc_pause_s"] = t.GcPauseS;
        o["gc_collections"] = new JsonArray([.. t.Collections.Select(c => (JsonNode)c)]);
        return o;
    }
}
