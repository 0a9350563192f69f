using System.Diagnostics;

namespace Offramp.Bench;

/// <summary>
/// One timed measurement, as <c>torch_bench.py</c>'s <c>time_calls</c> reports it (median, min and p90 seconds per
/// call, runs, clock probe), plus what only a managed runtime has to report: bytes allocated and GC activity per
/// call over the timed runs (after warm-up).
/// </summary>
/// <param name="MedianS">Median seconds per call.</param>
/// <param name="MinS">Fastest call, seconds.</param>
/// <param name="P90S">90th-percentile call, seconds.</param>
/// <param name="Runs">Timed calls.</param>
/// <param name="ProbeGhz">Lowest clock-probe reading before and after the runs (see <see cref="ClockProbe"/>).</param>
/// <param name="AllocBytesPerRun">Managed bytes allocated per call by all threads (<c>GC.GetTotalAllocatedBytes(true)</c>).</param>
/// <param name="AllocBytesPerRunThisThread">Managed bytes allocated per call by the calling thread
/// (<c>GC.GetAllocatedBytesForCurrentThread</c>).</param>
/// <param name="GcPauseS">Total GC pause over the timed runs, seconds (<c>GC.GetTotalPauseDuration</c>).</param>
/// <param name="Collections">Collections of generations 0, 1 and 2 during the timed runs.</param>
public sealed record BenchTiming(double MedianS, double MinS, double P90S, int Runs, double ProbeGhz,
    double AllocBytesPerRun, double AllocBytesPerRunThisThread, double GcPauseS, int[] Collections)
{
    /// <summary>GC pause per timed call, seconds.</summary>
    public double GcPausePerRunS => Runs > 0 ? GcPauseS / Runs : 0;

    /// <summary>
    /// Times <paramref name="fn"/> like <c>time_calls(fn, min_runs, min_time, warmup=...)</c>: <paramref name="warmup"/>
    /// untimed calls (continued until <paramref name="minWarmupTime"/> seconds have passed, so .NET's tiered JIT reaches
    /// its optimised code), a clock probe, then calls until at least <paramref name="minRuns"/> were made and
    /// <paramref name="minTime"/> seconds passed (at most <paramref name="maxRuns"/>), then a second probe.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minRuns"/> is less than 1.</exception>
    public static BenchTiming Measure(Action fn, int minRuns, double minTime, int warmup, int probeThreads,
        double minWarmupTime = 0, int maxRuns = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minRuns, 1);
        long w0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || Stopwatch.GetElapsedTime(w0).TotalSeconds < minWarmupTime; i++)
        {
            fn();
        }

        double ghz0 = ClockProbe.MeasureGhz(probeThreads);
        var times = new List<double>(Math.Max(minRuns, 64));
        int[] gc0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var pause0 = GC.GetTotalPauseDuration();
        long all0 = GC.GetTotalAllocatedBytes(precise: true);
        long mine0 = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        while (times.Count < maxRuns && (times.Count < minRuns || Stopwatch.GetElapsedTime(start).TotalSeconds < minTime))
        {
            long t0 = Stopwatch.GetTimestamp();
            fn();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }

        long mine1 = GC.GetAllocatedBytesForCurrentThread();
        long all1 = GC.GetTotalAllocatedBytes(precise: true);
        var pause = GC.GetTotalPauseDuration() - pause0;
        int[] collections = [GC.CollectionCount(0) - gc0[0], GC.CollectionCount(1) - gc0[1], GC.CollectionCount(2) - gc0[2]];
        double ghz1 = ClockProbe.MeasureGhz(probeThreads);

        times.Sort();
        int n = times.Count;
        // Python's statistics.median: the mean of the two middle values for an even count.
        double median = n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
        return new BenchTiming(median, times[0], times[Math.Min(n - 1, (int)(0.9 * n))], n,
            Math.Round(Math.Min(ghz0, ghz1), 2), (double)(all1 - all0) / n, (double)(mine1 - mine0) / n,
            pause.TotalSeconds, collections);
    }
}
