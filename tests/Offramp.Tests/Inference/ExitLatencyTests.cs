using Offramp.Analysis;
using Offramp.Engine;

namespace Offramp.Tests.Inference;

public sealed class ExitLatencyTests
{
    [Fact]
    public void Measure_FakeClock_MedianTimeToEachExitWithBatchAndThreads()
    {
        var model = new CarryModel();
        var clock = new FakeClock(TimeSpan.FromMilliseconds(1));

        var r = ExitLatency.Measure(model, batchSize: 4, repeats: 3, warmup: 2, clock: clock);

        // One reading at the start and one after each exit: exit k ends k + 1 steps after the start.
        Assert.Equal([0.001, 0.002, 0.003], r.MedianSeconds.Select(s => Math.Round(s, 9)));
        Assert.Equal([0.00025, 0.0005, 0.00075], r.MillisecondsPerSample.Select(s => Math.Round(s / 1000, 9)));
        Assert.Equal(5 * 4, clock.Reads);
        Assert.Equal(5 * 3, model.Calls.Count);
        Assert.All(model.Calls, c => Assert.Equal(4, c.Batch));
        Assert.Equal(Parallelism.Threads, r.Threads);
        var json = r.ToJson();
        Assert.Equal(4, (int)json["batch_size"]!);
        Assert.Equal(3, (int)json["repeats"]!);
        Assert.Equal(Parallelism.Threads, (int)json["threads"]!);
        Assert.Equal("b", (string)json["exits"]![1]!["name"]!);
        Assert.Equal(25, (long)json["exits"]![1]!["macs"]!);
    }

    [Fact]
    public void Measure_RealClock_TimesGrowWithDepth()
    {
        var r = ExitLatency.Measure(new CarryModel(), batchSize: 1, repeats: 3, warmup: 1);

        Assert.All(r.MedianSeconds, s => Assert.True(s > 0));
        Assert.True(r.MedianSeconds[0] <= r.MedianSeconds[1] && r.MedianSeconds[1] <= r.MedianSeconds[2]);
    }
}
