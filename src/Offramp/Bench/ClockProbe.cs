using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Offramp.Bench;

/// <summary>
/// The clock probe of <c>torch_bench.py</c> in C#: a ~10 ms dependent chain of integer adds and xors (one cycle
/// each on current x64 cores) on each of <c>threads</c> concurrent threads; returns the lowest effective GHz.
/// The host is a shared VM whose vCPUs are sometimes time-sliced, so a low value flags a disturbed sample.
/// </summary>
/// <remarks>Unlike the script's C helper the threads are not pinned to cores, and the figure assumes one-cycle
/// ALU latency; treat it as a disturbance flag, not a frequency measurement.</remarks>
public static class ClockProbe
{
    private const long Iterations = 5_000_000;

    /// <summary>Effective GHz of the slowest of <paramref name="threads"/> concurrent probe threads (NaN if it failed).</summary>
    public static double MeasureGhz(int threads)
    {
        // torch_bench.py: sleep 50 ms first so that spinning workers of the previous measurement go idle.
        Thread.Sleep(50);
        if (threads <= 1)
        {
            return Probe();
        }

        var ghz = new double[threads];
        using var barrier = new Barrier(threads);
        var workers = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            int id = i;
            workers[i] = new Thread(() =>
            {
                barrier.SignalAndWait();
                ghz[id] = Probe();
            });
            workers[i].Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        return ghz.Min();
    }

    private static double Probe()
    {
        long t0 = Stopwatch.GetTimestamp();
        long sink = Chain(Iterations);
        double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        GC.KeepAlive(sink);
        return s > 0 ? 8.0 * Iterations / s / 1e9 : double.NaN;
    }

    // Eight dependent one-cycle ops per iteration (x depends on y, y on the new x), which the JIT cannot fold;
    // the loop counter runs in parallel on another port.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Chain(long n)
    {
        long x = 1, y = 3;
        for (long i = 0; i < n; i++)
        {
            x += y;
            y ^= x;
            x += y;
            y ^= x;
            x += y;
            y ^= x;
            x += y;
            y ^= x;
        }

        return x + y;
    }
}
