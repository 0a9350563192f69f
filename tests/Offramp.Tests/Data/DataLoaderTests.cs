using Offramp.Data;
using Offramp.Engine;

namespace Offramp.Tests.Data;

public sealed class DataLoaderTests
{
    // 10 samples of (1, 2, 2); every value of sample i is i / 100, label i % 3.
    private static FloatImageDataset Toy(int n = 10) => new(
        "toy",
        Enumerable.Range(0, n).SelectMany(i => Enumerable.Repeat(i / 100f, 4)).ToArray(),
        Enumerable.Range(0, n).Select(i => i % 3).ToArray(),
        1, 2, 2, ["a", "b", "c"]);

    private static DataLoaderOptions Augmented(ulong seed, bool prefetch = true) => new()
    {
        BatchSize = 4,
        Seed = seed,
        Prefetch = prefetch,
        Transforms = [new RandomHorizontalFlip(), new RandomCrop(2, padding: 1), new Normalize(0.5f, 0.25f)],
        Mixup = new Mixup(3, mixupAlpha: 0.8, cutmixAlpha: 1.0),
    };

    [Fact]
    public void GetEpoch_SameSeed_SameBatches()
    {
        var a = Snapshot(new DataLoader(Toy(), Augmented(7)).GetEpoch(0));
        var b = Snapshot(new DataLoader(Toy(), Augmented(7)).GetEpoch(0));

        Assert.Equal(a, b);
    }

    [Fact]
    public void GetEpoch_DifferentSeeds_DifferentOrder()
    {
        var a = new DataLoader(Toy(), new DataLoaderOptions { BatchSize = 4, Seed = 1 }).EpochOrder(0);
        var b = new DataLoader(Toy(), new DataLoaderOptions { BatchSize = 4, Seed = 2 }).EpochOrder(0);

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void GetEpoch_Shuffled_EverySampleOnceWithItsImageAndLabel()
    {
        var loader = new DataLoader(Toy(), new DataLoaderOptions { BatchSize = 3, Seed = 5 });

        var batches = loader.GetEpoch(2).ToList();

        Assert.Equal(4, loader.BatchesPerEpoch);
        Assert.Equal([3, 3, 3, 1], batches.Select(b => b.Size));
        Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.SampleIndices).Order());
        Assert.NotEqual(Enumerable.Range(0, 10), batches.SelectMany(b => b.SampleIndices));
        foreach (var b in batches)
        {
            Assert.Equal([b.Size, 1, 2, 2], b.Images.Shape);
            Assert.Null(b.SoftTargets);
            for (int i = 0; i < b.Size; i++)
            {
                int s = b.SampleIndices[i];
                Assert.Equal(s % 3, b.Labels[i]);
                Assert.All(b.Images.Span.Slice(i * 4, 4).ToArray(), v => Assert.Equal(s / 100f, v));
            }
        }
    }

    [Fact]
    public void GetEpoch_DropLast_DropsThePartialBatch()
    {
        var loader = new DataLoader(Toy(), new DataLoaderOptions { BatchSize = 3, DropLast = true, Seed = 5 });

        var batches = loader.GetEpoch(0).ToList();

        Assert.Equal(3, loader.BatchesPerEpoch);
        Assert.All(batches, b => Assert.Equal(3, b.Size));
        Assert.Equal(9, batches.SelectMany(b => b.SampleIndices).Distinct().Count());
    }

    [Fact]
    public void GetEpoch_NoShuffle_SampleOrder()
    {
        var loader = new DataLoader(Toy(), new DataLoaderOptions { BatchSize = 4, Shuffle = false });

        Assert.Equal(Enumerable.Range(0, 10), loader.GetEpoch(3).SelectMany(b => b.SampleIndices));
    }

    [Fact]
    public void GetEpoch_EpochK_ReproducedWithoutEarlierEpochs()
    {
        var continuous = new DataLoader(Toy(), Augmented(11));
        List<string> epoch3 = [];
        for (int e = 0; e < 4; e++)
        {
            epoch3 = Snapshot(continuous.GetEpoch(e));
        }

        var resumed = Snapshot(new DataLoader(Toy(), Augmented(11)).GetEpoch(3));

        Assert.Equal(epoch3, resumed);
        Assert.NotEqual(Snapshot(continuous.GetEpoch(2)), resumed);
    }

    [Fact]
    public void GetEpoch_PrefetchOrNot_SameBatches()
    {
        var prefetched = Snapshot(new DataLoader(Toy(), Augmented(3, prefetch: true)).GetEpoch(1));
        var sequential = Snapshot(new DataLoader(Toy(), Augmented(3, prefetch: false)).GetEpoch(1));

        Assert.Equal(sequential, prefetched);
    }

    [Fact]
    public void GetEpoch_SlowConsumer_SameBatchesAsFastOne()
    {
        var loader = new DataLoader(Toy(), Augmented(9));
        var fast = Snapshot(loader.GetEpoch(0));

        var slow = new List<string>();
        foreach (var b in loader.GetEpoch(0))
        {
            Thread.Sleep(20); // the next batch is prepared meanwhile
            slow.Add(Describe(b));
        }

        Assert.Equal(fast, slow);
    }

    [Fact]
    public void GetBatch_SameAsTheEpochsBatch()
    {
        var loader = new DataLoader(Toy(), Augmented(4));

        var all = Snapshot(loader.GetEpoch(5));

        Assert.Equal(all[2], Describe(loader.GetBatch(5, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.GetBatch(5, 3));
    }

    [Fact]
    public void GetEpoch_Mixup_SoftTargetsRowsSumToOne()
    {
        var loader = new DataLoader(Toy(), Augmented(1));

        foreach (var b in loader.GetEpoch(0))
        {
            Assert.NotNull(b.SoftTargets);
            Assert.Equal([b.Size, 3], b.SoftTargets.Shape);
            var t = b.SoftTargets.ToArray();
            for (int i = 0; i < b.Size; i++)
            {
                Assert.Equal(1.0, t.AsSpan(i * 3, 3).ToArray().Sum(x => (double)x), 1e-5);
            }
        }
    }

    [Fact]
    public void GetEpoch_BytePixels_ScaledThenNormalised()
    {
        var ds = new ByteImageDataset("bytes", [0, 255, 51, 102], [0, 1], 1, 1, 2, ["a", "b"]);
        var loader = new DataLoader(ds, new DataLoaderOptions
        {
            BatchSize = 2, Shuffle = false, Transforms = [new Normalize(0.5f, 0.5f)],
        });

        var b = loader.GetEpoch(0).Single();

        DataAssert.Close([-1f, 1f, -0.6f, -0.2f], b.Images.Span, 1e-6, 1e-6, "normalised pixels");
    }

    [Fact]
    public void GetEpoch_TransformFails_ErrorSurfacesOnEnumeration()
    {
        var options = new DataLoaderOptions { BatchSize = 4, Transforms = [new RandomCrop(9, padding: 0)] };
        var loader = new DataLoader(Toy(), options);

        var e = Assert.Throws<ArgumentException>(() => loader.GetEpoch(0).ToList());

        Assert.Contains("RandomCrop", e.Message);
    }

    [Fact]
    public void GetEpoch_AbandonedEarly_NoError()
    {
        var loader = new DataLoader(Toy(100), new DataLoaderOptions { BatchSize = 4, Seed = 1 });

        var first = loader.GetEpoch(0).Take(2).ToList();

        Assert.Equal(2, first.Count);
    }

    [Fact]
    public void Constructor_MixupClassCountMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(
            () => new DataLoader(Toy(), new DataLoaderOptions { Mixup = new Mixup(10) }));

        Assert.Contains("Mixup has 10 classes, toy has 3", e.Message);
    }

    [Fact]
    public void EpochOrder_NegativeEpoch_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Toy(), new DataLoaderOptions()).GetEpoch(-1));
    }

    [FashionMnistFact]
    public void GetEpoch_RealFashionMnist_NormalisedBatchShape()
    {
        var train = FashionMnist.LoadSplit(null, train: true);
        var loader = new DataLoader(train, new DataLoaderOptions
        {
            BatchSize = 256, Seed = 1, Transforms = [FashionMnist.Normalization],
        });

        var b = loader.GetEpoch(0).First();

        Assert.Equal([256, 1, 28, 28], b.Images.Shape);
        float min = b.Images.Span.ToArray().Min();
        Assert.Equal(-FashionMnist.Mean / FashionMnist.Std, min, 1e-5); // a black pixel
        double mean = b.Images.Span.ToArray().Average(v => (double)v);
        Assert.InRange(mean, -0.2, 0.2); // the batch mean of normalised pixels is near 0
    }

    private static List<string> Snapshot(IEnumerable<Batch> batches) => batches.Select(Describe).ToList();

    // Exact, order-sensitive description of a batch (floats as their bit patterns).
    private static string Describe(Batch b) =>
        $"{b.Epoch}/{b.Index} idx[{string.Join(",", b.SampleIndices)}] y[{string.Join(",", b.Labels)}] " +
        $"x[{string.Join(",", b.Images.ToArray().Select(BitConverter.SingleToInt32Bits))}] " +
        $"t[{string.Join(",", b.SoftTargets?.ToArray().Select(BitConverter.SingleToInt32Bits) ?? [])}] " +
        $"λ={b.MixLambda:R}";
}
