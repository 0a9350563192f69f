namespace Offramp.Engine.Tests;

/// <summary>
/// <see cref="WorkerPool"/>, the kernels' fork–join threads: every index runs exactly once whatever the count and
/// the number of helpers; bodies' exceptions reach the caller and leave the pool usable; a nested call and a call
/// while another thread's job runs are refused (and <see cref="Parallelism.For"/> then still runs every index);
/// sleeping workers wake up for the next job.
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class WorkerPoolTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 3)]
    [InlineData(2, 1)]
    [InlineData(7, 3)]
    [InlineData(1000, 1)]
    [InlineData(1000, 3)]
    [InlineData(5, 0)]
    public void RunsEveryIndexOnce(int count, int helpers)
    {
        var pool = new WorkerPool(3);
        for (int round = 0; round < 50; round++)
        {
            var hits = new int[count];
            Assert.True(pool.TryRun(count, i => Interlocked.Increment(ref hits[i]), helpers));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void UsesItsWorkers()
    {
        var pool = new WorkerPool(1);
        var threads = new HashSet<int>();
        for (int round = 0; round < 200 && threads.Count < 2; round++)
        {
            pool.TryRun(64, _ =>
            {
                Thread.SpinWait(2000);
                lock (threads)
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                }
            }, 1);
        }

        Assert.Equal(2, threads.Count);
    }

    [Fact]
    public void BodyExceptions_ReachTheCaller_AndThePoolStaysUsable()
    {
        var pool = new WorkerPool(2);
        var ex = Assert.Throws<AggregateException>(() => pool.TryRun(100, i =>
        {
            if (i == 37)
            {
                throw new InvalidOperationException("index 37");
            }
        }, 2));
        Assert.Contains(ex.InnerExceptions, e => e.Message == "index 37");
        var hits = new int[100];
        Assert.True(pool.TryRun(100, i => Interlocked.Increment(ref hits[i]), 2));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedCall_IsRefused_SoParallelismRunsItInline()
    {
        var pool = new WorkerPool(2);
        var refused = new bool[8];
        var inner = new int[8 * 16];
        Assert.True(pool.TryRun(8, i =>
        {
            refused[i] = !pool.TryRun(16, j => inner[(i * 16) + j]++, 2);
            for (int j = 0; j < 16; j++)
            {
                inner[(i * 16) + j]++;
            }
        }, 2));
        Assert.All(refused, Assert.True);
        Assert.All(inner, v => Assert.Equal(1, v));
    }

    [Fact]
    public void ParallelismFor_FromManyThreadsAtOnce_RunsEveryIndexOnce()
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = 2;
        try
        {
            var results = new int[4][];
            var callers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                var hits = new int[5000];
                for (int round = 0; round < 20; round++)
                {
                    Parallelism.For(250, i =>
                    {
                        for (int k = 0; k < 20; k++)
                        {
                            Interlocked.Increment(ref hits[(i * 20) + k]);
                        }
                    });
                }

                results[t] = hits;
            })).ToList();
            callers.ForEach(c => c.Start());
            callers.ForEach(c => c.Join());
            Assert.All(results, hits => Assert.All(hits, h => Assert.Equal(20, h)));
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void SleepingWorkers_WakeForTheNextJob()
    {
        var pool = new WorkerPool(2);
        for (int round = 0; round < 5; round++)
        {
            Thread.Sleep(20); // far past the workers' spin: they are asleep on their events
            var hits = new int[64];
            Assert.True(pool.TryRun(64, i => Interlocked.Increment(ref hits[i]), 2));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }
}
