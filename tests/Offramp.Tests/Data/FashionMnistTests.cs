using Offramp.Data;

namespace Offramp.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // Reference statistics of the real files, computed once with Python's standard library, independently of this
    // code (payload = file content after the 16- or 8-byte header):
    //   p = gzip.open("train-images-idx3-ubyte.gz").read()[16:]; sum(p); sum(b*b for b in p); p[14*28+14]
    private const long TrainPixelSum = 3_431_114_169;
    private const long TrainPixelSumOfSquares = 631_470_052_347;
    private const long TestPixelSum = 573_469_082;
    private const byte FirstTrainImageCentrePixel = 217; // image 0, row 14, column 14

    [FashionMnistFact]
    public void Load_RealData_CountsHistogramAndPixelStatistics()
    {
        var data = FashionMnist.Load();

        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.Equal((1, 28, 28), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal(10, data.Train.NumClasses);
        Assert.Equal(Enumerable.Repeat(6_000, 10), Histogram(data.Train));
        Assert.Equal(Enumerable.Repeat(1_000, 10), Histogram(data.Test));

        long sum = 0;
        long sumSq = 0;
        foreach (byte b in data.Train.Pixels)
        {
            sum += b;
            sumSq += b * b;
        }

        long testSum = 0;
        foreach (byte b in data.Test.Pixels)
        {
            testSum += b;
        }

        Assert.Equal(TrainPixelSum, sum);
        Assert.Equal(TrainPixelSumOfSquares, sumSq);
        Assert.Equal(TestPixelSum, testSum);
        Assert.Equal(FirstTrainImageCentrePixel, data.Train.GetImageBytes(0)[14 * 28 + 14]);

        // The published normalisation constants are these statistics.
        double n = 60_000.0 * 28 * 28;
        double mean = sum / n / 255;
        double std = Math.Sqrt(sumSq / n / (255.0 * 255.0) - mean * mean);
        Assert.Equal(FashionMnist.Mean, mean, 1e-6);
        Assert.Equal(FashionMnist.Std, std, 1e-6);
    }

    [FashionMnistFact]
    public void Split_RealTrainingSet_FiveHundredPerClass()
    {
        var train = FashionMnist.LoadSplit(null, train: true);

        var split = StratifiedSplit.Split(train, seed: 7);

        Assert.Equal(Enumerable.Repeat(500, 10), split.HeldOutPerClass);
        Assert.Equal(55_000, split.TrainIndices.Count);
        Assert.Equal(Enumerable.Repeat(500, 10), Histogram(split.HeldOut(train)));
    }

    [Fact]
    public void Load_MissingFolder_ThrowsWithInstallHint()
    {
        string dir = Path.Combine(_dir.Path, "absent");

        var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Load(dir));

        Assert.Contains(dir, e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("--data DIR", e.Message);
    }

    [Fact]
    public void Load_MissingLabelsFile_NamesTheFile()
    {
        WriteSplit("train", 3, raw: false);
        File.Delete(Path.Combine(_dir.Path, "train-labels-idx1-ubyte.gz"));

        var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.LoadSplit(_dir.Path, train: true));

        Assert.Contains("train-labels-idx1-ubyte", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadSplit_SmallFolder_ReadsGzipOrRaw(bool raw)
    {
        WriteSplit("t10k", 3, raw);

        var test = FashionMnist.LoadSplit(_dir.Path, train: false);

        Assert.Equal(3, test.Count);
        Assert.Equal([0, 1, 2], test.GetLabels());
        Assert.Equal("Pullover", test.ClassNames[2]);
        var img = new float[28 * 28];
        test.CopyImage(1, img);
        Assert.Equal(1 / 255f, img[0]); // pixel bytes are (sample + position) mod 256
        Assert.Equal(2 / 255f, img[1]);
        Assert.False(FashionMnist.IsAvailable(_dir.Path)); // the training files are absent
    }

    [Fact]
    public void LoadSplit_CountsDisagree_NamesBothFiles()
    {
        WriteSplit("train", 3, raw: true, labelCount: 2);

        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadSplit(_dir.Path, train: true));

        Assert.Equal("train-labels-idx1-ubyte: 2 labels but train-images-idx3-ubyte has 3 images", e.Message);
    }

    [Fact]
    public void LoadSplit_LabelTen_Throws()
    {
        WriteSplit("train", 3, raw: true, badLabel: 10);

        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadSplit(_dir.Path, train: true));

        Assert.Equal("train-labels-idx1-ubyte: label 10 of sample 1 is not below 10", e.Message);
    }

    [Fact]
    public void LoadSplit_ImagesNot28x28_Throws()
    {
        WriteSplit("train", 3, raw: true, side: 27);

        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadSplit(_dir.Path, train: true));

        Assert.Equal("train-images-idx3-ubyte: images have shape 3×27×27; expected N×28×28", e.Message);
    }

    [Fact]
    public void LoadSplit_LabelsWithTwoDimensions_Throws()
    {
        WriteSplit("train", 3, raw: true);
        File.WriteAllBytes(Path.Combine(_dir.Path, "train-labels-idx1-ubyte"), IdxBytes.UByte([0, 1, 2], 3, 1));

        var e = Assert.Throws<DataFormatException>(() => FashionMnist.LoadSplit(_dir.Path, train: true));

        Assert.Contains("train-labels-idx1-ubyte: labels have shape 3×1", e.Message);
    }

    private static int[] Histogram(Dataset d)
    {
        var h = new int[d.NumClasses];
        foreach (int y in d.GetLabels())
        {
            h[y]++;
        }

        return h;
    }

    // Writes {prefix}-images-idx3-ubyte and {prefix}-labels-idx1-ubyte (gzip unless raw) with n images whose
    // pixel bytes are (sample + position) mod 256 and labels 0, 1, 2, …
    private void WriteSplit(string prefix, int n, bool raw, int? labelCount = null, int? badLabel = null, int side = 28)
    {
        var pixels = new byte[n * side * side];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i / (side * side)) + (i % (side * side)));
        }

        var labels = new byte[labelCount ?? n];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = (byte)(i % 10);
        }

        if (badLabel is { } b)
        {
            labels[1] = (byte)b;
        }

        byte[] images = IdxBytes.UByte(pixels, (uint)n, (uint)side, (uint)side);
        byte[] labelFile = IdxBytes.UByte(labels, (uint)labels.Length);
        string ext = raw ? "" : ".gz";
        _dir.Write($"{prefix}-images-idx3-ubyte{ext}", raw ? images : IdxBytes.Gzip(images));
        _dir.Write($"{prefix}-labels-idx1-ubyte{ext}", raw ? labelFile : IdxBytes.Gzip(labelFile));
    }
}
