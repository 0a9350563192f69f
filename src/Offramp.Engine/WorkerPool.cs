namespace Offramp.Engine;

/// <summary>
/// The kernels' fork–join threads: <c>n</c> background workers that, between jobs, spin for a short while (so the
/// next kernel of a forward or backward pass starts within a microsecond or so) and then sleep on an event. A job
/// hands out the indices [0, count) one at a time to the calling thread and up to <c>helpers</c> workers; the caller
/// runs indices too and returns when every index has finished. One job at a time: a call while another thread's job
/// runs returns false (the caller then uses <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>),
/// and a call from inside a job's body (nested parallelism) also returns false, so that body runs it inline.
/// </summary>
/// <remarks>
/// Which thread runs an index is not fixed, so a body must make each index's output independent of the others (the
/// contract of <see cref="Parallelism.For"/>). The first exceptions thrown by bodies stop the hand-out of further
/// indices and are rethrown to the caller in an <see cref="AggregateException"/>, as <c>Parallel.For</c> does.
/// </remarks>
internal sealed class WorkerPool
{
    // How long an idle worker polls for the next job before it sleeps (Stopwatch ticks are set from this).
    private const double SpinMicroseconds = 200;

    [ThreadStatic]
    private static bool t_inJob;

    private readonly object _gate = new();
    private readonly Worker[] _workers;
    private readonly long _spinTicks = (long)(SpinMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1e6);
    private Job? _job;
    private long _generation;

    public WorkerPool(int workers)
    {
        _workers = new Worker[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Worker();
            var w = _workers[i];
            var thread = new Thread(() => WorkerLoop(w)) { IsBackground = true, Name = $"offramp-worker-{i + 1}" };
            thread.Start();
        }
    }

    /// <summary>Workers in the pool.</summary>
    public int Size => _workers.Length;

    /// <summary>
    /// Runs body(i) for i in [0, count) on the calling thread and up to <paramref name="helpers"/> workers; false
    /// (nothing run) when the pool is busy with another thread's job or the caller is inside a job's body.
    /// </summary>
    public bool TryRun(int count, Action<int> body, int helpers)
    {
        if (t_inJob || !Monitor.TryEnter(_gate))
        {
            return false;
        }

        try
        {
            var job = new Job(count, body, Math.Min(helpers, _workers.Length));
            Volatile.Write(ref _job, job);
            Interlocked.Increment(ref _generation); // a full fence: the job is visible before the generation moves
            foreach (var w in _workers)
            {
                if (Volatile.Read(ref w.Sleeping) == 1)
                {
                    w.Wake.Set();
                }
            }

            t_inJob = true;
            try
            {
                job.RunItems();
            }
            finally
            {
                t_inJob = false;
            }

            // Wait until every index has finished (workers may still be in their last ones).
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Finished) < count && !job.Stopped)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            while (Volatile.Read(ref job.Running) > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            Volatile.Write(ref _job, null);
            if (job.Errors is { } errors)
            {
                throw new AggregateException(errors);
            }

            return true;
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void WorkerLoop(Worker w)
    {
        t_inJob = true; // a body run by a worker that calls Parallelism.For runs that call inline
        long seen = Interlocked.Read(ref _generation);
        while (true)
        {
            // Poll for a new generation, then sleep on the event (with the store-load order that makes a wake-up
            // impossible to miss: Sleeping is set with a full fence before the generation is read again, and the
            // caller moves the generation with a full fence before it reads Sleeping).
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            long g;
            while ((g = Interlocked.Read(ref _generation)) == seen)
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() - start < _spinTicks)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }

                Interlocked.Exchange(ref w.Sleeping, 1);
                if (Interlocked.Read(ref _generation) == seen)
                {
                    w.Wake.Wait();
                }

                Interlocked.Exchange(ref w.Sleeping, 0);
                w.Wake.Reset();
                start = System.Diagnostics.Stopwatch.GetTimestamp();
                spin = default;
            }

            seen = g;
            var job = Volatile.Read(ref _job);
            if (job is not null && job.Join())
            {
                try
                {
                    job.RunItems();
                }
                finally
                {
                    Interlocked.Decrement(ref job.Running);
                }
            }
        }
    }

    private sealed class Worker
    {
        public readonly ManualResetEventSlim Wake = new(false, 0);
        public int Sleeping;
    }

    private sealed class Job(int count, Action<int> body, int helpers)
    {
        public int Finished;
        public int Running;
        public volatile bool Stopped;
        public List<Exception>? Errors;
        private int _next = -1;
        private int _joined;

        // A worker takes a helper's seat (false when all are taken or the job is done); Running counts it until it
        // leaves RunItems.
        public bool Join()
        {
            if (Interlocked.Increment(ref _joined) > helpers)
            {
                return false;
            }

            Interlocked.Increment(ref Running);
            if (Volatile.Read(ref _next) + 1 >= count || Stopped)
            {
                Interlocked.Decrement(ref Running);
                return false;
            }

            return true;
        }

        public void RunItems()
        {
            int i;
            while (!Stopped && (i = Interlocked.Increment(ref _next)) < count)
            {
                try
                {
                    body(i);
                }
                catch (Exception e)
                {
                    lock (this)
                    {
                        (Errors ??= []).Add(e);
                    }

                    Stopped = true;
                }

                Interlocked.Increment(ref Finished);
            }
        }
    }
}
