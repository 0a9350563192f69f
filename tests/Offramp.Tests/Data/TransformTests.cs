using Offramp.Data;
using Offramp.Engine;

namespace Offramp.Tests.Data;

public sealed class TransformTests
{
    private const double Atol = 1e-6;
    private const double Rtol = 1e-6;

    // One 2×3 image (N=1, C=1):  1 2 3
    //                            4 5 6
    private static Tensor Image2x3() => Tensor.FromArray([1f, 2, 3, 4, 5, 6], 1, 1, 2, 3);

    [Fact]
    public void Normalize_TwoChannels_SubtractsMeanDividesStd()
    {
        var x = Tensor.FromArray([0f, 1, 0.5f, 3], 1, 2, 1, 2);

        var y = new Normalize([0.5f, 1f], [0.5f, 2f]).Apply(x, new Rng(0));

        DataAssert.Close([-1f, 1f, -0.25f, 1f], y.Span, Atol, Rtol, "normalize");
        Assert.Same(x, y);
    }

    [Fact]
    public void Normalize_ChannelMismatch_ThrowsWithShape()
    {
        var normalize = new Normalize(0.5f, 0.5f);

        var e = Assert.Throws<ArgumentException>(() => normalize.Apply(Tensor.Zeros(2, 3, 4, 4), new Rng(0)));

        Assert.Contains("Normalize(1 channels) got batch (2, 3, 4, 4)", e.Message);
    }

    [Fact]
    public void Normalize_ZeroStd_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Normalize(0.5f, 0f));
    }

    [Fact]
    public void RandomHorizontalFlip_ProbabilityOne_MirrorsKnownImage()
    {
        var y = new RandomHorizontalFlip(1.0).Apply(Image2x3(), new Rng(0));

        Assert.Equal([3f, 2, 1, 6, 5, 4], y.ToArray());
    }

    [Fact]
    public void RandomHorizontalFlip_ProbabilityZero_Unchanged()
    {
        var y = new RandomHorizontalFlip(0.0).Apply(Image2x3(), new Rng(0));

        Assert.Equal([1f, 2, 3, 4, 5, 6], y.ToArray());
    }

    [Fact]
    public void RandomHorizontalFlip_Half_FlipsAboutHalfDeterministically()
    {
        // 200 copies of the 2×3 image: count flipped ones.
        var data = Enumerable.Range(0, 200).SelectMany(_ => new[] { 1f, 2, 3, 4, 5, 6 }).ToArray();
        var a = new RandomHorizontalFlip().Apply(Tensor.FromArray(data, 200, 1, 2, 3), new Rng(11)).ToArray();
        var b = new RandomHorizontalFlip().Apply(Tensor.FromArray(data, 200, 1, 2, 3), new Rng(11)).ToArray();

        int flipped = Enumerable.Range(0, 200).Count(n => a[n * 6] == 3f);

        Assert.Equal(a, b);
        Assert.InRange(flipped, 70, 130);
    }

    [Theory]
    // Offsets are into the unpadded image (padded offset − padding). Padding 1 around the 2×3 image:
    //   0 0 0 0 0
    //   0 1 2 3 0
    //   0 4 5 6 0
    //   0 0 0 0 0
    [InlineData(-1, -1, new float[] { 0, 0, 0, 0, 1, 2 })]
    [InlineData(0, 0, new float[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(0, 1, new float[] { 2, 3, 0, 5, 6, 0 })]
    [InlineData(1, 1, new float[] { 5, 6, 0, 0, 0, 0 })]
    [InlineData(1, -1, new float[] { 0, 4, 5, 0, 0, 0 })]
    public void Crop_PaddingOffsets_ShiftsInZeros(int top, int left, float[] expected)
    {
        var y = new float[6];

        RandomCrop.Crop([1f, 2, 3, 4, 5, 6], y, 1, 2, 3, 2, 3, top, left);

        Assert.Equal(expected, y);
    }

    [Fact]
    public void RandomCrop_Padding1_EveryOffsetOccursAndOutputIsAWindow()
    {
        // 300 copies of the 2×3 image, crop 2×3 with padding 1: offsets (top, left) ∈ [−1, 1] × [−1, 1].
        var data = Enumerable.Range(0, 300).SelectMany(_ => new[] { 1f, 2, 3, 4, 5, 6 }).ToArray();
        var y = new RandomCrop(2, 3, padding: 1).Apply(Tensor.FromArray(data, 300, 1, 2, 3), new Rng(5));

        var windows = new Dictionary<string, (int, int)>();
        for (int top = -1; top <= 1; top++)
        {
            for (int left = -1; left <= 1; left++)
            {
                var w = new float[6];
                RandomCrop.Crop([1f, 2, 3, 4, 5, 6], w, 1, 2, 3, 2, 3, top, left);
                windows[string.Join(",", w)] = (top, left);
            }
        }

        Assert.Equal([300, 1, 2, 3], y.Shape);
        var seen = new HashSet<(int, int)>();
        var v = y.ToArray();
        for (int n = 0; n < 300; n++)
        {
            string key = string.Join(",", v.AsSpan(n * 6, 6).ToArray());
            Assert.True(windows.TryGetValue(key, out var offset), $"sample {n}: {key} is no padded window");
            seen.Add(offset);
        }

        Assert.Equal(9, seen.Count);
    }

    [Fact]
    public void RandomCrop_LargerOutput_PadsAround()
    {
        // 4×5 crop of a 2×3 image padded by 1 has exactly one position: the whole padded image.
        var y = new RandomCrop(4, 5, padding: 1).Apply(Image2x3(), new Rng(0));

        Assert.Equal([0f, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0], y.ToArray());
    }

    [Fact]
    public void RandomCrop_CropLargerThanPadded_ThrowsWithShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new RandomCrop(5, padding: 1).Apply(Image2x3(), new Rng(0)));

        Assert.Contains("(1, 1, 2, 3)", e.Message);
    }

    [Fact]
    public void RandomErasing_FixedScaleSquare_ErasesOneSquarePerChannel()
    {
        // 8×8 ones, 2 channels; area fraction 1/4 and ratio 1 → a 4×4 box (h = w = round(√16)).
        var x = Tensor.Ones(3, 2, 8, 8);
        var t = new RandomErasing(probability: 1, scaleMin: 0.25, scaleMax: 0.25, ratioMin: 1, ratioMax: 1, value: -2f);

        var v = t.Apply(x, new Rng(3)).ToArray();

        for (int n = 0; n < 3; n++)
        {
            var erased = new List<(int C, int R, int Col)>();
            for (int i = 0; i < 128; i++)
            {
                float e = v[n * 128 + i];
                Assert.True(e == 1f || e == -2f);
                if (e == -2f)
                {
                    erased.Add((i / 64, i / 8 % 8, i % 8));
                }
            }

            Assert.Equal(32, erased.Count);
            int top = erased.Min(p => p.R);
            int left = erased.Min(p => p.Col);
            Assert.All(erased, p => Assert.True(p.R < top + 4 && p.Col < left + 4));
            Assert.Equal(16, erased.Count(p => p.C == 1)); // same box in every channel
        }
    }

    [Fact]
    public void RandomErasing_BoxNeverFits_Unchanged()
    {
        // The box covers the whole image (h = H): torchvision requires h < H, so every attempt fails.
        var x = Tensor.Ones(2, 1, 4, 4);

        var y = new RandomErasing(1, 1, 1, 1, 1).Apply(x, new Rng(0));

        Assert.All(y.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void RandomErasing_ProbabilityZero_Unchanged()
    {
        var y = new RandomErasing(probability: 0).Apply(Tensor.Ones(4, 1, 8, 8), new Rng(0));

        Assert.All(y.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void RandomErasing_RandomValues_FillsWithNoiseDeterministically()
    {
        var t = new RandomErasing(
            probability: 1, scaleMin: 0.25, scaleMax: 0.25, ratioMin: 1, ratioMax: 1, randomValues: true);

        var a = t.Apply(Tensor.Full([1, 1, 8, 8], 100), new Rng(8)).ToArray();
        var b = t.Apply(Tensor.Full([1, 1, 8, 8], 100), new Rng(8)).ToArray();

        Assert.Equal(a, b);
        var noise = a.Where(v => v != 100f).ToArray();
        Assert.Equal(16, noise.Length);
        Assert.True(noise.Distinct().Count() > 10);
        Assert.All(noise, v => Assert.InRange(v, -8f, 8f));
    }

    [Fact]
    public void Transforms_NotRank4_ThrowWithShape()
    {
        var x = Tensor.Zeros(3, 4);

        var e = Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(x, new Rng(0)));

        Assert.Contains("RandomHorizontalFlip: expects a float32 (N, C, H, W) batch, got (3, 4)", e.Message);
    }
}
