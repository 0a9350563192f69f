using Offramp.Data;

namespace Offramp.Tests.Data;

public sealed class StratifiedSplitTests
{
    // 10 classes × 100 samples, interleaved: label i % 10.
    private static int[] Balanced(int perClass = 100, int classes = 10) =>
        Enumerable.Range(0, perClass * classes).Select(i => i % classes).ToArray();

    [Fact]
    public void Split_Balanced_DisjointSortedAndCoveringAll()
    {
        var s = StratifiedSplit.Split(Balanced(), 10, 50, seed: 1);

        Assert.Equal(950, s.TrainIndices.Count);
        Assert.Equal(50, s.HeldOutIndices.Count);
        Assert.Empty(s.TrainIndices.Intersect(s.HeldOutIndices));
        Assert.Equal(Enumerable.Range(0, 1000), s.TrainIndices.Concat(s.HeldOutIndices).Order());
        Assert.Equal(s.TrainIndices.Order(), s.TrainIndices);
        Assert.Equal(s.HeldOutIndices.Order(), s.HeldOutIndices);
    }

    [Fact]
    public void Split_Balanced_EqualSharePerClass()
    {
        var labels = Balanced();

        var s = StratifiedSplit.Split(labels, 10, 50, seed: 1);

        Assert.Equal(Enumerable.Repeat(5, 10), s.HeldOutPerClass);
        Assert.Equal(Enumerable.Repeat(5, 10), CountPerClass(s.HeldOutIndices, labels, 10));
    }

    [Fact]
    public void Split_IndivisibleCount_SharesDifferByAtMostOne()
    {
        var labels = Balanced();

        var s = StratifiedSplit.Split(labels, 10, 53, seed: 3);

        var perClass = CountPerClass(s.HeldOutIndices, labels, 10);
        Assert.Equal(53, perClass.Sum());
        Assert.All(perClass, c => Assert.InRange(c, 5, 6));
        Assert.Equal(3, perClass.Count(c => c == 6));
    }

    [Fact]
    public void Split_SmallClass_GivesAllAndRedistributes()
    {
        // Class 0 has 2 samples, classes 1 and 2 have 100: 30 held out → 2 + 14 + 14.
        int[] labels = [0, 0, .. Enumerable.Repeat(1, 100), .. Enumerable.Repeat(2, 100)];

        var s = StratifiedSplit.Split(labels, 3, 30, seed: 5);

        Assert.Equal([2, 14, 14], s.HeldOutPerClass);
        Assert.Equal([2, 14, 14], CountPerClass(s.HeldOutIndices, labels, 3));
    }

    [Fact]
    public void Split_SameSeed_SameIndices()
    {
        var a = StratifiedSplit.Split(Balanced(), 10, 53, seed: 42);
        var b = StratifiedSplit.Split(Balanced(), 10, 53, seed: 42);

        Assert.Equal(a.HeldOutIndices, b.HeldOutIndices);
        Assert.Equal(a.TrainIndices, b.TrainIndices);
    }

    [Fact]
    public void Split_DifferentSeeds_DifferentIndices()
    {
        var a = StratifiedSplit.Split(Balanced(), 10, 50, seed: 1);
        var b = StratifiedSplit.Split(Balanced(), 10, 50, seed: 2);

        Assert.NotEqual(a.HeldOutIndices, b.HeldOutIndices);
        Assert.Equal(a.HeldOutPerClass, b.HeldOutPerClass); // still stratified the same way
    }

    [Fact]
    public void Split_ZeroOrAll_Edges()
    {
        var none = StratifiedSplit.Split(Balanced(), 10, 0, seed: 1);
        var all = StratifiedSplit.Split(Balanced(), 10, 1000, seed: 1);

        Assert.Empty(none.HeldOutIndices);
        Assert.Equal(1000, none.TrainIndices.Count);
        Assert.Empty(all.TrainIndices);
        Assert.Equal(Enumerable.Repeat(100, 10), all.HeldOutPerClass);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Split_CountOutsideRange_Throws(int count)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplit.Split(Balanced(), 10, count, seed: 1));

        Assert.Contains("[0, 1000]", e.Message);
    }

    [Fact]
    public void Split_LabelOutsideClasses_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => StratifiedSplit.Split([0, 1, 3], 3, 1, seed: 1));

        Assert.Contains("label 3 of sample 2", e.Message);
    }

    [Fact]
    public void Views_OfDataset_HoldTheSplitSamples()
    {
        var labels = Balanced(10, 3);
        var values = Enumerable.Range(0, labels.Length).Select(i => (float)i).ToArray();
        var ds = new FloatImageDataset("toy", values, labels, 1, 1, 1, ["a", "b", "c"]);
        var s = StratifiedSplit.Split(ds, 6, seed: 9);

        var held = s.HeldOut(ds);
        var train = s.Train(ds);

        Assert.Equal(6, held.Count);
        Assert.Equal(24, train.Count);
        Assert.Equal("toy/held-out", held.Name);
        var px = new float[1];
        for (int i = 0; i < held.Count; i++)
        {
            held.CopyImage(i, px);
            Assert.Equal(s.HeldOutIndices[i], (int)px[0]);
            Assert.Equal(labels[s.HeldOutIndices[i]], held.GetLabel(i));
        }

        Assert.Throws<ArgumentException>(() => s.Train(ds.Subset([0, 1])));
    }

    private static int[] CountPerClass(IEnumerable<int> indices, int[] labels, int classes)
    {
        var c = new int[classes];
        foreach (int i in indices)
        {
            c[labels[i]]++;
        }

        return c;
    }
}
