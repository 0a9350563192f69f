using System.Diagnostics;

namespace Offramp.Benchmarks;

/// <summary>Lap timing for the quick model benches: lists of per-repeat milliseconds.</summary>
internal static class Laps
{
    /// <summary>Records the stopwatch's time since the last lap into <paramref name="into"/> and restarts it.</summary>
    public static void Lap(Stopwatch sw, List<double> into)
    {
        into.Add(sw.Elapsed.TotalMilliseconds);
        sw.Restart();
    }

    /// <summary><paramref name="count"/> empty lists.</summary>
    public static List<double>[] Lists(int count) => [.. Enumerable.Range(0, count).Select(_ => new List<double>())];
}
