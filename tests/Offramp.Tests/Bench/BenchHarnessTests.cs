using System.Text.Json.Nodes;
using Offramp.Bench;
using Offramp.Cli;

namespace Offramp.Tests.Bench;

public class BenchHarnessTests
{
    private static BenchTiming T(double medianS) => new(medianS, medianS, medianS, 3, 4.3, 1e6, 5e5, 0.002, [1, 0, 0]);

    private static BenchResult Sample() => new()
    {
        Model = "cnn",
        Input = "fm",
        Threads = 1,
        Exits = 3,
        ParamsTotal = 697022,
        ParamsUpToExit = [37802, 170164, 697022],
        MacsUpToExit = [29127488, 54818240, 80509632],
        LatencyB1 = [T(0.00054), T(0.0011), T(0.00163)],
        ThroughputB64 = T(64 / 997.0),
        ThroughputB256 = T(256 / 894.0),
        ThroughputB64Exit1 = T(64 / 2256.0),
        TrainB128 = T(128 / 260.0),
    };

    [Fact]
    public void Row_SameLayoutAsTorchScript()
    {
        // torch_bench.fmt_row on the same figures prints exactly this line.
        Assert.Equal("| cnn | fm | 1 | 0.697M | 29.1/54.8/80.5 | 1.63 | 0.54 | 997 | 2256 | 894 | 260 |",
            BenchTable.Row(Sample()));
        Assert.StartsWith("| model | input | thr | params | MMACs to exit 1/2/.. |", BenchTable.Header, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_HasTheScriptKeys()
    {
        var json = Sample().ToJson();
        foreach (var key in new[] { "model", "input", "threads", "exits", "params_total", "params_upto_exit", "macs_upto_exit",
            "lat_b1_exit1", "lat_b1_exit2", "lat_b1_exit3", "thr_b64_full", "thr_b256_full", "thr_b64_exit1", "train_b128" })
        {
            Assert.True(json.ContainsKey(key), key);
        }

        var train = json["train_b128"]!.AsObject();
        Assert.Equal(260.0, (double)train["imgs_per_s"]!, 6);
        Assert.Equal(1e6, (double)train["alloc_bytes_per_run"]!);
        Assert.False(json["lat_b1_exit1"]!.AsObject().ContainsKey("imgs_per_s"));
    }

    [Fact]
    public void Measure_RespectsMinRunsAndWarmup()
    {
        int calls = 0;
        var t = BenchTiming.Measure(() => calls++, minRuns: 5, minTime: 0, warmup: 2, probeThreads: 0);
        Assert.Equal(5, t.Runs);
        Assert.Equal(7, calls);
        Assert.True(t.MinS <= t.MedianS && t.MedianS <= t.P90S);
        Assert.Equal(3, t.Collections.Length);
    }

    [Fact]
    public void ClockProbe_ReportsPlausibleGhz()
    {
        double ghz = ClockProbe.MeasureGhz(2);
        Assert.InRange(ghz, 0.01, 20);
    }

    [Fact]
    public void BenchCommand_UnknownModel_ExitCode2()
    {
        Assert.Equal(2, Program.BuildRoot().Parse(["bench", "--model", "resnet"]).Invoke());
        Assert.Equal(2, Program.BuildRoot().Parse(["bench", "--input", "mnist"]).Invoke());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Run_TinyBudget_WritesEveryFigure()
    {
        var options = new BenchOptions { InferenceMinTime = 0, TrainMinTime = 0, MinWarmupTime = 0, JitWarmupTime = 0, SkipProbe = true };
        var r = ModelBench.Run("cnn", BenchInput.Fm, options);
        Assert.Equal(3, r.LatencyB1.Length);
        Assert.All(r.LatencyB1, t => Assert.True(t.Runs >= 20));
        Assert.True(r.TrainB128.MedianS > 0);
        JsonNode json = r.ToJson();
        Assert.Equal(697022L, (long)json["params_total"]!);
    }
}
