using Offramp.Engine.Functional;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Functional;

public class NormTests
{
    private static Tensor Positive64(ulong seed, params int[] shape) =>
        Tensor.Uniform(new Rng(seed), shape, 0.5, 2.0, DType.Float64);

    [Theory]
    [GradCheckCase("layer_norm")]
    [InlineData(new[] { 2, 5 }, new[] { 5 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 2, 3, 2 }, new[] { 3, 2 })]
    public void LayerNorm_Float64_PassesGradCheck(int[] shape, int[] normalized)
    {
        var x = TestUtil.R64(21, shape);
        var w = TestUtil.R64(22, normalized);
        var b = TestUtil.R64(23, normalized);
        TestUtil.AssertGrad(a => F.LayerNorm(a[0], normalized, a[1], a[2]), x, w, b);
        TestUtil.AssertGrad(a => F.LayerNorm(a[0], normalized, null, null), x);
        TestUtil.AssertGrad(a => F.LayerNorm(a[0], normalized, a[1], null, eps: 1e-3), x, w);
    }

    [Theory]
    [GradCheckCase("batch_norm")]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 2, 3, 2 })]
    [InlineData(new[] { 2, 2, 2, 2 })]
    public void BatchNorm_Training_PassesGradCheck(int[] shape)
    {
        int c = shape[1];
        var x = TestUtil.R64(31, shape);
        var w = TestUtil.R64(32, c);
        var b = TestUtil.R64(33, c);
        var rm = Tensor.Zeros([c], DType.Float64);
        var rv = Tensor.Full([c], 1.0, DType.Float64);
        TestUtil.AssertGrad(a => F.BatchNorm(a[0], rm, rv, a[1], a[2], training: true), x, w, b);
        TestUtil.AssertGrad(a => F.BatchNorm(a[0], null, null, null, null, training: true), x);
    }

    [Theory]
    [GradCheckCase("batch_norm")]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 2, 3, 2 })]
    public void BatchNorm_Eval_PassesGradCheck(int[] shape)
    {
        int c = shape[1];
        var x = TestUtil.R64(41, shape);
        var w = TestUtil.R64(42, c);
        var b = TestUtil.R64(43, c);
        var rm = Tensor.Randn(new Rng(44), [c], DType.Float64);
        var rv = Positive64(45, c);
        TestUtil.AssertGrad(a => F.BatchNorm(a[0], rm, rv, a[1], a[2], training: false), x, w, b);
    }

    [Fact]
    public void LayerNorm_Float32_OutputHasMeanZeroVarianceOne()
    {
        // Large offset: a one-pass variance would cancel badly in float32.
        var data = KernelTestData.Normal(3, 6 * 64, sigma: 2).Select(v => v + 1000f).ToArray();
        var y = F.LayerNorm(Tensor.FromArray(data, 6, 64), [64], null, null, eps: 0).ToArray();
        for (int r = 0; r < 6; r++)
        {
            var row = y.AsSpan(r * 64, 64).ToArray().Select(v => (double)v).ToArray();
            double mean = row.Average();
            double variance = row.Sum(v => (v - mean) * (v - mean)) / 64;
            Assert.True(Math.Abs(mean) < 1e-4, $"row {r} mean {mean}");
            Assert.True(Math.Abs(variance - 1) < 1e-3, $"row {r} variance {variance}");
        }
    }

    [Fact]
    public void LayerNorm_WeightAndBias_MatchDoubleComputation()
    {
        var data = KernelTestData.Normal(4, 2 * 3 * 4);
        var w = KernelTestData.Normal(5, 12);
        var b = KernelTestData.Normal(6, 12);
        var y = F.LayerNorm(Tensor.FromArray(data, 2, 3, 4), [3, 4], Tensor.FromArray(w, 3, 4), Tensor.FromArray(b, 3, 4)).ToArray();
        var expected = new float[24];
        for (int r = 0; r < 2; r++)
        {
            var row = data.Skip(r * 12).Take(12).Select(v => (double)v).ToArray();
            double mean = row.Average();
            double variance = row.Sum(v => (v - mean) * (v - mean)) / 12;
            for (int j = 0; j < 12; j++)
            {
                expected[r * 12 + j] = (float)((row[j] - mean) / Math.Sqrt(variance + 1e-5) * w[j] + b[j]);
            }
        }

        TestUtil.AssertClose(expected, y, 1e-5, 1e-5, "layer_norm");
    }

    [Fact]
    public void BatchNorm_TrainingStep_UpdatesRunningStatsAsPyTorch()
    {
        int n = 3, c = 2, s = 4;
        var data = KernelTestData.Normal(7, n * c * s, sigma: 2);
        var rmInit = new float[] { 0.5f, -1f };
        var rvInit = new float[] { 2f, 0.25f };
        var rm = Tensor.FromArray(rmInit, c);
        var rv = Tensor.FromArray(rvInit, c);
        var y = F.BatchNorm(Tensor.FromArray(data, n, c, s), rm, rv, null, null, training: true, momentum: 0.1).ToArray();
        var expectedY = new float[data.Length];
        for (int ch = 0; ch < c; ch++)
        {
            var vals = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, s).Select(k => (double)data[(i * c + ch) * s + k])).ToArray();
            double mean = vals.Average();
            double biased = vals.Sum(v => (v - mean) * (v - mean)) / vals.Length;
            double unbiased = biased * vals.Length / (vals.Length - 1);
            Assert.Equal(0.9 * rmInit[ch] + 0.1 * mean, rm[ch], 5);
            Assert.Equal(0.9 * rvInit[ch] + 0.1 * unbiased, rv[ch], 5);
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < s; k++)
                {
                    int at = (i * c + ch) * s + k;
                    expectedY[at] = (float)((data[at] - mean) / Math.Sqrt(biased + 1e-5));
                }
            }
        }

        TestUtil.AssertClose(expectedY, y, 1e-5, 1e-5, "batch_norm training output");
    }

    [Fact]
    public void BatchNorm_Eval_UsesRunningStats()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        var rm = Tensor.FromArray(new float[] { 1, -1 }, 2);
        var rv = Tensor.FromArray(new float[] { 4, 0.25f }, 2);
        var w = Tensor.FromArray(new float[] { 2, 3 }, 2);
        var b = Tensor.FromArray(new float[] { 0.5f, -0.5f }, 2);
        var y = F.BatchNorm(x, rm, rv, w, b, training: false).ToArray();
        var expected = new float[6];
        for (int i = 0; i < 6; i++)
        {
            int ch = i % 2;
            double[] m = [1, -1], v = [4, 0.25], ww = [2, 3], bb = [0.5, -0.5];
            expected[i] = (float)(((i + 1) - m[ch]) / Math.Sqrt(v[ch] + 1e-5) * ww[ch] + bb[ch]);
        }

        TestUtil.AssertClose(expected, y, 1e-6, 1e-6, "batch_norm eval");
        Assert.Equal([1f, -1f], rm.ToArray()); // eval leaves the running stats alone
    }

    [Fact]
    public void LayerNorm_MismatchedNormalizedShape_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros(2, 5, 4), [3, 4], null, null));
        Assert.Contains("(3, 4)", ex.Message);
        Assert.Contains("(2, 5, 4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros(2, 4), [4], Tensor.Ones(5), null));
        Assert.Contains("weight (5,)", ex.Message);
    }

    [Fact]
    public void BatchNorm_BadArguments_ThrowClearly()
    {
        var x = Tensor.Zeros(4, 3);
        var ex = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, null, null, Tensor.Ones(4), null, training: true));
        Assert.Contains("weight must be (3,)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, null, null, null, null, training: false));
        Assert.Contains("eval mode needs running_mean", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros(1, 3), null, null, null, null, training: true));
        Assert.Contains("more than 1 value per channel", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros(3), null, null, null, null, training: true));
        Assert.Contains("(3,)", ex.Message);
    }

    [Fact]
    public void LayerNormKernel_ManyShapes_MatchesReference()
    {
        foreach (int rows in new[] { 1, 3, 7 })
        {
            foreach (int d in KernelTestData.Sizes)
            {
                foreach (bool affine in new[] { false, true })
                {
                    var x = KernelTestData.Normal((ulong)(rows * d), rows * d, sigma: 3);
                    var dy = KernelTestData.Normal((ulong)(rows * d + 1), rows * d);
                    float[] w = affine ? KernelTestData.Normal((ulong)d, d) : [], b = affine ? KernelTestData.Normal((ulong)d + 9, d) : [];
                    var y = new float[rows * d];
                    var dx = new float[rows * d];
                    float[] mean = new float[rows], rstd = new float[rows], dw = new float[d], db = new float[d];
                    Engine.Kernels.Norm.LayerNormForward<float>(x, w, b, y, mean, rstd, rows, d, 1e-5f);
                    Engine.Kernels.Norm.LayerNormBackward<float>(dy, x, w, mean, rstd, dx, rows, d, new float[d]);
                    Engine.Kernels.Norm.LayerNormParamBackward<float>(dy, x, mean, rstd, dw, db, rows, d, new float[d]);

                    double[] yR = new double[rows * d], dxR = new double[rows * d], meanR = new double[rows], rstdR = new double[rows];
                    double[] dwR = new double[d], dbR = new double[d];
                    double[] xD = KernelTestData.ToDouble(x), wD = KernelTestData.ToDouble(w);
                    NormReference.LayerNormForward<double>(xD, wD, KernelTestData.ToDouble(b), yR, meanR, rstdR, rows, d, 1e-5);
                    NormReference.LayerNormBackward<double>(KernelTestData.ToDouble(dy), xD, wD, meanR, rstdR, dxR, dwR, dbR, rows, d);
                    string what = $"layer_norm (M, D) = ({rows}, {d}) affine={affine}";
                    TestUtil.AssertClose(KernelTestData.ToFloat(yR), y, 1e-5, 1e-4, what + " y");
                    TestUtil.AssertClose(KernelTestData.ToFloat(dxR), dx, 1e-4, 1e-3, what + " dx");
                    TestUtil.AssertClose(KernelTestData.ToFloat(dwR), dw, 1e-4, 1e-4, what + " dw");
                    TestUtil.AssertClose(KernelTestData.ToFloat(dbR), db, 1e-4, 1e-4, what + " db");
                }
            }
        }
    }

    [Fact]
    public void BatchNormKernel_ManyShapes_MatchesReference()
    {
        foreach (int n in new[] { 2, 3 })
        {
            foreach (int c in new[] { 1, 3 })
            {
                foreach (int s in KernelTestData.Sizes)
                {
                    foreach (bool batchStats in new[] { true, false })
                    {
                        int len = n * c * s;
                        var x = KernelTestData.Normal((ulong)len, len, sigma: 2);
                        var dy = KernelTestData.Normal((ulong)len + 1, len);
                        var w = KernelTestData.Normal((ulong)c + 2, c);
                        var b = KernelTestData.Normal((ulong)c + 3, c);
                        var mean = batchStats ? new float[c] : KernelTestData.Normal(5, c);
                        var variance = batchStats ? new float[c] : KernelTestData.Uniform(6, c, 0.5, 2);
                        float[] y = new float[len], dx = new float[len], rstd = new float[c], dw = new float[c], db = new float[c];
                        double[] meanR = KernelTestData.ToDouble(mean), varR = KernelTestData.ToDouble(variance);
                        Engine.Kernels.Norm.BatchNormForward<float>(x, w, b, y, mean, variance, rstd, n, c, s, 0, c, batchStats, 1e-5f, [], false);
                        Engine.Kernels.Norm.BatchNormBackward<float>(dy, x, w, mean, rstd, dx, dw, db, n, c, s, 0, c, batchStats);

                        double[] yR = new double[len], dxR = new double[len], rstdR = new double[c], dwR = new double[c], dbR = new double[c];
                        double[] xD = KernelTestData.ToDouble(x), wD = KernelTestData.ToDouble(w);
                        NormReference.BatchNormForward<double>(xD, wD, KernelTestData.ToDouble(b), yR, meanR, varR, rstdR, n, c, s, batchStats, 1e-5);
                        NormReference.BatchNormBackward<double>(KernelTestData.ToDouble(dy), xD, wD, meanR, rstdR, dxR, dwR, dbR, n, c, s, batchStats);
                        string what = $"batch_norm (N, C, S) = ({n}, {c}, {s}) batchStats={batchStats}";
                        TestUtil.AssertClose(KernelTestData.ToFloat(meanR), mean, 1e-5, 1e-4, what + " mean");
                        TestUtil.AssertClose(KernelTestData.ToFloat(varR), variance, 1e-5, 1e-4, what + " var");
                        TestUtil.AssertClose(KernelTestData.ToFloat(yR), y, 1e-5, 1e-4, what + " y");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dxR), dx, 1e-4, 1e-3, what + " dx");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dwR), dw, 1e-4, 1e-4, what + " dw");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dbR), db, 1e-4, 1e-4, what + " db");
                    }
                }
            }
        }
    }
}
