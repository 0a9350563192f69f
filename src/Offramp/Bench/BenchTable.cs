using System.Globalization;

namespace Offramp.Bench;

/// <summary>
/// The Markdown tables of the bench: <see cref="Header"/>/<see cref="Row"/> are exactly <c>torch_bench.py</c>'s
/// (<c>cmd_models</c> and <c>fmt_row</c>), so the two outputs line up; <see cref="MemoryHeader"/>/<see cref="MemoryRow"/>
/// add what only a managed runtime has to report.
/// </summary>
public static class BenchTable
{
    /// <summary>The script's header line.</summary>
    public const string Header =
        "| model | input | thr | params | MMACs to exit 1/2/.. | b1 full ms | b1 exit1 ms | b64 img/s | " +
        "b64 exit1 img/s | b256 img/s | train b128 img/s |";

    /// <summary>Header of the memory table.</summary>
    public const string MemoryHeader =
        "| model | input | thr | train alloc MB/step | train alloc MB/step (this thread) | train GC pause ms/step | " +
        "train gen0/1/2 | train arena MB | b64 alloc KB/call | b1 full alloc KB/call |";

    /// <summary>The script's <c>fmt_row</c>: one line per model × input.</summary>
    public static string Row(BenchResult r)
    {
        double Ms(BenchTiming t) => t.MedianS * 1e3;
        var c = CultureInfo.InvariantCulture;
        string macs = string.Join('/', r.MacsUpToExit.Select(m => (m / 1e6).ToString("F1", c)));
        return string.Create(c,
            $"| {r.Model} | {r.Input} | {r.Threads} | {r.ParamsTotal / 1e6:F3}M | {macs} | " +
            $"{Ms(r.LatencyB1[^1]):F2} | {Ms(r.LatencyB1[0]):F2} | " +
            $"{BenchResult.ImagesPerSecond(r.ThroughputB64, 64):F0} | {BenchResult.ImagesPerSecond(r.ThroughputB64Exit1, 64):F0} | " +
            $"{BenchResult.ImagesPerSecond(r.ThroughputB256, 256):F0} | {BenchResult.ImagesPerSecond(r.TrainB128, ModelBench.TrainBatch):F0} |");
    }

    /// <summary>Managed allocation and GC figures of one result.</summary>
    public static string MemoryRow(BenchResult r)
    {
        var t = r.TrainB128;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {r.Model} | {r.Input} | {r.Threads} | {t.AllocBytesPerRun / 1e6:F2} | {t.AllocBytesPerRunThisThread / 1e6:F2} | " +
            $"{t.GcPausePerRunS * 1e3:F2} | {string.Join('/', t.Collections)} | {r.TrainArenaBytes / 1e6:F1} | " +
            $"{r.ThroughputB64.AllocBytesPerRun / 1e3:F1} | {r.LatencyB1[^1].AllocBytesPerRun / 1e3:F1} |");
    }
}
