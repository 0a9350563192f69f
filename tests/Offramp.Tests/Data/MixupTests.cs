using Offramp.Data;
using Offramp.Engine;

namespace Offramp.Tests.Data;

public sealed class MixupTests
{
    private const double Atol = 1e-6;
    private const double Rtol = 1e-5;

    // N images of C=1, 4×4, image n filled with the value n.
    private static Tensor Constant(int n) =>
        Tensor.FromArray(Enumerable.Range(0, n).SelectMany(i => Enumerable.Repeat((float)i, 16)).ToArray(), n, 1, 4, 4);

    [Fact]
    public void SoftTargets_NoSmoothing_LambdaOnOwnClassRestOnPartner()
    {
        var t = Mixup.SoftTargets([0, 1, 2, 3], 4, 0.7, 0.0);

        // Row i is mixed with row 3 − i.
        DataAssert.Close(
            [0.7f, 0, 0, 0.3f, 0, 0.7f, 0.3f, 0, 0, 0.3f, 0.7f, 0, 0.3f, 0, 0, 0.7f], t.Span, Atol, Rtol, "targets");
    }

    [Fact]
    public void SoftTargets_Smoothing_MatchesTimmFormulaAndRowsSumToOne()
    {
        const double eps = 0.1;
        const double lambda = 0.25;
        var t = Mixup.SoftTargets([2, 2, 5], 10, lambda, eps);

        double off = eps / 10, on = 1 - eps + off;
        var v = t.ToArray();
        Assert.Equal([3, 10], t.Shape);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1.0, v.AsSpan(i * 10, 10).ToArray().Sum(x => (double)x), 1e-6);
        }

        Assert.Equal(lambda * on + (1 - lambda) * off, v[0 * 10 + 2], 1e-6); // 2 mixed with 5
        Assert.Equal(lambda * off + (1 - lambda) * on, v[0 * 10 + 5], 1e-6);
        Assert.Equal(on, v[1 * 10 + 2], 1e-6);                               // middle sample: with itself
        Assert.Equal(off, v[1 * 10 + 0], 1e-6);
    }

    [Fact]
    public void Apply_MixupOnly_BlendsWithReversedBatchAndTargetsMatchLambda()
    {
        var mix = new Mixup(numClasses: 4, mixupAlpha: 1.0, cutmixAlpha: 0, labelSmoothing: 0);
        int[] labels = [0, 1, 2, 3];

        var r = mix.Apply(Constant(4), labels, new Rng(17));

        Assert.False(r.UsedCutMix);
        Assert.InRange(r.Lambda, 0.0, 1.0);
        var expected = new float[64];
        for (int n = 0; n < 4; n++)
        {
            Array.Fill(expected, (float)(r.Lambda * n + (1 - r.Lambda) * (3 - n)), n * 16, 16);
        }

        DataAssert.Close(expected, r.Images.Span, Atol, Rtol, "mixed images");
        var t = r.Targets.ToArray();
        for (int n = 0; n < 4; n++)
        {
            Assert.Equal(r.Lambda, t[n * 4 + n], 1e-6);
            Assert.Equal(1 - r.Lambda, t[n * 4 + 3 - n], 1e-6);
            Assert.Equal(1.0, t.AsSpan(n * 4, 4).ToArray().Sum(x => (double)x), 1e-6);
        }
    }

    [Fact]
    public void Apply_CutMixOnly_PastesPartnerBoxAndLambdaIsCorrectedArea()
    {
        var mix = new Mixup(numClasses: 3, mixupAlpha: 0, cutmixAlpha: 1.0, labelSmoothing: 0);

        for (ulong seed = 0; seed < 20; seed++)
        {
            var r = mix.Apply(Constant(3), [0, 1, 2], new Rng(seed));

            Assert.True(r.UsedCutMix);
            var v = r.Images.ToArray();
            int pasted = v.AsSpan(0, 16).ToArray().Count(x => x == 2f); // sample 0 got sample 2's box
            Assert.Equal(1 - r.Lambda, pasted / 16.0, 1e-9);
            Assert.Equal(pasted, v.AsSpan(32, 16).ToArray().Count(x => x == 0f));
            Assert.All(v.AsSpan(16, 16).ToArray(), x => Assert.Equal(1f, x)); // middle sample unchanged
            Assert.Equal(r.Lambda, r.Targets[0, 0], 1e-6);
            Assert.Equal(1 - r.Lambda, r.Targets[0, 2], 1e-6);
        }
    }

    [Fact]
    public void Apply_ProbabilityZero_UnmixedWithSmoothedOneHot()
    {
        var mix = new Mixup(numClasses: 4, mixupAlpha: 0.8, cutmixAlpha: 1.0, probability: 0, labelSmoothing: 0.2);

        var r = mix.Apply(Constant(2), [1, 3], new Rng(0));

        Assert.Equal(1.0, r.Lambda);
        DataAssert.Close(Constant(2).Span, r.Images.Span, 0, 0, "images");
        float[] expected = [0.05f, 0.85f, 0.05f, 0.05f, 0.05f, 0.05f, 0.05f, 0.85f];
        DataAssert.Close(expected, r.Targets.Span, Atol, Rtol, "targets");
    }

    [Fact]
    public void Apply_BothEnabled_SwitchesBetweenMethodsDeterministically()
    {
        var mix = new Mixup(numClasses: 2, mixupAlpha: 0.8, cutmixAlpha: 1.0);
        var used = new List<bool>();

        for (ulong seed = 0; seed < 40; seed++)
        {
            var a = mix.Apply(Constant(2), [0, 1], new Rng(seed));
            var b = mix.Apply(Constant(2), [0, 1], new Rng(seed));
            Assert.Equal(a.Images.ToArray(), b.Images.ToArray());
            Assert.Equal(a.Lambda, b.Lambda);
            used.Add(a.UsedCutMix);
        }

        Assert.Contains(true, used);
        Assert.Contains(false, used);
    }

    [Fact]
    public void CutMixBox_InsideImageWithTimmSides()
    {
        var rng = new Rng(4);
        for (int k = 0; k < 200; k++)
        {
            double lambda = rng.NextDouble();
            var (top, bottom, left, right) = Mixup.CutMixBox(7, 9, lambda, rng);

            Assert.InRange(top, 0, 7);
            Assert.InRange(bottom, top, 7);
            Assert.InRange(left, 0, 9);
            Assert.InRange(right, left, 9);
            // Unclipped sides are 2·⌊cut/2⌋ with cut = ⌊side·√(1−λ)⌋.
            Assert.True(bottom - top <= (int)(7 * Math.Sqrt(1 - lambda)) / 2 * 2);
            Assert.True(right - left <= (int)(9 * Math.Sqrt(1 - lambda)) / 2 * 2);
        }
    }

    [Fact]
    public void Apply_WrongLabelCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Mixup(3).Apply(Constant(2), [0], new Rng(0)));

        Assert.Contains("1 labels for batch (2, 1, 4, 4)", e.Message);
    }

    [Theory]
    [InlineData(0.2, 0.2)]
    [InlineData(1.0, 1.0)]
    [InlineData(2.0, 5.0)]
    [InlineData(0.8, 0.8)]
    public void NextBeta_ManyDraws_MeanAndVarianceMatch(double a, double b)
    {
        var rng = new Rng(2024);
        const int n = 40_000;
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            double x = rng.NextBeta(a, b);
            Assert.InRange(x, 0.0, 1.0);
            sum += x;
            sumSq += x * x;
        }

        double mean = sum / n;
        double variance = sumSq / n - mean * mean;
        double expectedMean = a / (a + b);
        double expectedVar = a * b / ((a + b) * (a + b) * (a + b + 1));
        // 6 standard errors of the mean; variance within 5 %.
        Assert.True(Math.Abs(mean - expectedMean) < 6 * Math.Sqrt(expectedVar / n), $"mean {mean} vs {expectedMean}");
        Assert.True(Math.Abs(variance - expectedVar) < 0.05 * expectedVar, $"variance {variance} vs {expectedVar}");
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(4.5)]
    public void NextGamma_ManyDraws_MeanAndVarianceEqualShape(double shape)
    {
        var rng = new Rng(77);
        const int n = 40_000;
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            double x = rng.NextGamma(shape);
            Assert.True(x >= 0);
            sum += x;
            sumSq += x * x;
        }

        double mean = sum / n;
        double variance = sumSq / n - mean * mean;
        Assert.True(Math.Abs(mean - shape) < 6 * Math.Sqrt(shape / n), $"mean {mean} vs {shape}");
        Assert.True(Math.Abs(variance - shape) < 0.08 * shape, $"variance {variance} vs {shape}");
    }

    [Fact]
    public void NextBeta_TinyAlpha_NoNaNAndMostlyNearZeroOrOne()
    {
        // Beta(a, a) with a = 0.001 puts about a·ln(1000) ≈ 0.7 % of its mass in [0.001, 0.999]; both Gamma draws
        // underflow to 0 in linear space, so this checks the log-space ratio.
        var rng = new Rng(1);
        int extreme = 0, low = 0;
        for (int i = 0; i < 1000; i++)
        {
            double x = rng.NextBeta(1e-3, 1e-3);
            Assert.InRange(x, 0.0, 1.0);
            extreme += x < 1e-3 || x > 1 - 1e-3 ? 1 : 0;
            low += x < 0.5 ? 1 : 0;
        }

        Assert.True(extreme >= 950, $"{extreme}/1000 draws within 0.001 of 0 or 1");
        Assert.InRange(low, 400, 600);
    }

    [Fact]
    public void NextGamma_NonPositiveShape_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(0).NextGamma(0));
    }
}
