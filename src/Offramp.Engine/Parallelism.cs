namespace Offramp.Engine;

/// <summary>
/// Thread control for every kernel. Work is split into a fixed number of chunks that depends only on the
/// problem size, never on the thread count, and each chunk writes its own output (or its own partial sum,
/// combined in chunk order), so results are bit-identical for any <see cref="Threads"/>.
/// </summary>
public static class Parallelism
{
    private static int _threads = Math.Max(1, Environment.ProcessorCount);

    // The engine's own workers (one per extra core), made on first use; null with OFFRAMP_WORKER_POOL=0 (then every
    // parallel loop uses Parallel.For on the .NET thread pool, as before the pool existed — for comparisons).
    private static readonly Lazy<WorkerPool?> s_pool = new(() =>
        Environment.GetEnvironmentVariable("OFFRAMP_WORKER_POOL") == "0" || Environment.ProcessorCount < 2
            ? null
            : new WorkerPool(Environment.ProcessorCount - 1));

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
    /// count is 1, or when <paramref name="workPerItem"/> × count is too small to pay for a thread hop; otherwise
    /// on the engine's <see cref="WorkerPool"/> (its workers spin briefly between kernels, so a batch-1 forward's
    /// many small parallel loops do not each pay a thread-pool wake-up), or <c>Parallel.For</c> when the pool is
    /// busy with another thread's loop or the call is nested in one.
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

        if (s_pool.Value is { } pool && t - 1 <= pool.Size && pool.TryRun(count, body, t - 1))
        {
            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = t };
        Parallel.For(0, count, options, body);
    }

    /// <summary>Elements per chunk of <see cref="ForChunks"/>: a streaming pass over 64 Ki floats (≈ 10–30 µs)
    /// outweighs a thread hop; a multiple of 64 so SIMD blocks never straddle chunks.</summary>
    internal const int ElementGrain = 1 << 16;

    /// <summary>
    /// Runs <paramref name="body"/>(start, length) over [0, <paramref name="n"/>) cut into ⌊n / grain⌋ chunks of
    /// <paramref name="grain"/> elements, the last one taking the remainder. The cuts depend on n alone, so an
    /// element-wise body gives the same bits for any <see cref="Threads"/>; below two chunks it runs inline.
    /// </summary>
    internal static void ForChunks(int n, Action<int, int> body, int grain = ElementGrain)
    {
        int chunks = Math.Max(1, n / grain);
        if (chunks == 1 || _threads == 1)
        {
            if (n > 0)
            {
                // One thread: the same cuts, run in order (a body may depend on where a chunk starts).
                for (int c = 0; c < chunks; c++)
                {
                    body(c * grain, c == chunks - 1 ? n - (c * grain) : grain);
                }
            }

            return;
        }

        For(chunks, c => body(c * grain, c == chunks - 1 ? n - (c * grain) : grain));
    }
}
