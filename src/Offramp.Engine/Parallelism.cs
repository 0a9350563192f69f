namespace Offramp.Engine;

/// <summary>
/// Thread control for every kernel. Work is split into a fixed number of chunks that depends only on the
/// problem size, never on the thread count, and each chunk writes its own output (or its own partial sum,
/// combined in chunk order), so results are bit-identical for any <see cref="Threads"/>.
/// </summary>
public static class Parallelism
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Degree of parallelism for kernels (the CLI's <c>--threads</c>). Defaults to the core count.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public static int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threads = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(i) for i in [0, count). Runs inline when one thread is set, when
    /// count is 1, or when <paramref name="workPerItem"/> × count is too small to pay for a thread hop.
    /// The body must make each i's output independent of the others.
    /// </summary>
    public static void For(int count, Action<int> body, long workPerItem = long.MaxValue)
    {
        if (count <= 0)
        {
            return;
        }

        int t = Math.Min(_threads, count);
        if (t <= 1 || (workPerItem != long.MaxValue && workPerItem * count < 32_768))
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = t };
        Parallel.For(0, count, options, body);
    }
}
