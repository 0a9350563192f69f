using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Functional;

/// <summary>
/// The fused float32 BatchNorm (<see cref="BatchNormSimd"/>, AVX-512) against the float64 naive twin over run lengths
/// with every tail (S mod 16), with and without the residual, the ReLU, the affine parameters and batch statistics;
/// bit-identity of the running-statistics output with the generic per-element formula (the inference convolution's
/// epilogue); independence of the channel split (thread count).
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class BatchNormSimdTests
{
    private static readonly int[] RunLengths = [1, 5, 15, 16, 17, 31, 32, 33, 48, 49, 50, 196, 200];

    [Fact]
    public void BatchNormSimd_AllTails_MatchReference()
    {
        if (!BatchNormSimd.Supported)
        {
            return; // the generic form runs instead (NormTests); nothing of this kernel can run here
        }

        const int C = 3;
        foreach (int s in RunLengths)
        {
            foreach (int n in new[] { 1, 4 })
            {
                foreach (bool batchStats in new[] { true, false })
                {
                    foreach (var (affine, res, relu) in new[] { (true, true, true), (false, false, false), (true, false, true), (false, true, false) })
                    {
                        Check(n, C, s, batchStats, affine, res, relu);
                    }
                }
            }
        }
    }

    private static void Check(int n, int c, int s, bool batchStats, bool affine, bool res, bool relu)
    {
        int len = n * c * s;
        ulong seed = (ulong)((s * 131) + (n * 7) + c);
        var x = KernelTestData.Normal(seed, len, sigma: 3).Select(v => v + 20f).ToArray(); // a large mean
        var r = res ? KernelTestData.Normal(seed + 1, len) : [];
        var dy = KernelTestData.Normal(seed + 2, len);
        float[] w = affine ? KernelTestData.Normal(seed + 3, c) : [], b = affine ? KernelTestData.Normal(seed + 4, c) : [];
        float[] mean = new float[c], var = new float[c], rstd = new float[c];
        if (!batchStats)
        {
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = 19.5f + ch;
                var[ch] = 8f + ch;
            }
        }

        var y = new float[len];
        BatchNormSimd.Forward(x, w, b, y, mean, var, rstd, n, c, s, 0, c, batchStats, 1e-5f, r, relu);

        double[] xD = KernelTestData.ToDouble(x), yR = new double[len];
        double[] meanR = KernelTestData.ToDouble(mean), varR = KernelTestData.ToDouble(var), rstdR = new double[c];
        NormReference.BatchNormForward<double>(xD, KernelTestData.ToDouble(w), KernelTestData.ToDouble(b), yR, meanR, varR, rstdR,
            n, c, s, batchStats, 1e-5);
        for (int i = 0; i < len; i++)
        {
            yR[i] += res ? r[i] : 0;
            yR[i] = relu && yR[i] <= 0 ? 0 : yR[i];
        }

        string what = $"batch_norm (N, C, S) = ({n}, {c}, {s}) batchStats={batchStats} affine={affine} res={res} relu={relu}";
        TestUtil.AssertClose(KernelTestData.ToFloat(meanR), mean, 1e-5, 1e-5, what + " mean");
        TestUtil.AssertClose(KernelTestData.ToFloat(varR), var, 1e-4, 1e-4, what + " var");
        TestUtil.AssertClose(KernelTestData.ToFloat(rstdR), rstd, 1e-5, 1e-4, what + " rstd");
        TestUtil.AssertClose(KernelTestData.ToFloat(yR), y, 1e-4, 1e-4, what + " y");

        // Backward through the ReLU (mask from y), the residual's gradient written out.
        var g = new float[len];
        var dx = new float[len];
        float[] dw = new float[c], db = new float[c];
        BatchNormSimd.Backward(dy, relu ? y : [], g, x, w, mean, rstd, dx, dw, db, n, c, s, 0, c, batchStats);
        var gR = new double[len];
        for (int i = 0; i < len; i++)
        {
            gR[i] = relu && y[i] <= 0 ? 0 : dy[i];
            Assert.True(BitConverter.SingleToInt32Bits((float)gR[i]) == BitConverter.SingleToInt32Bits(g[i]), $"{what} g[{i}]");
        }

        double[] dxR = new double[len], dwR = new double[c], dbR = new double[c];
        NormReference.BatchNormBackward<double>(gR, xD, KernelTestData.ToDouble(w), KernelTestData.ToDouble(mean),
            KernelTestData.ToDouble(rstd), dxR, dwR, dbR, n, c, s, batchStats);
        TestUtil.AssertClose(KernelTestData.ToFloat(dxR), dx, 1e-4, 1e-3, what + " dx");
        TestUtil.AssertClose(KernelTestData.ToFloat(dwR), dw, 1e-3, 1e-4, what + " dw");
        TestUtil.AssertClose(KernelTestData.ToFloat(dbR), db, 1e-3, 1e-4, what + " db");

        // Without writing g out the same dx, dw, db.
        var dx2 = new float[len];
        float[] dw2 = new float[c], db2 = new float[c];
        BatchNormSimd.Backward(dy, relu ? y : [], [], x, w, mean, rstd, dx2, dw2, db2, n, c, s, 0, c, batchStats);
        Assert.Equal(dx, dx2);
        Assert.Equal(dw, dw2);
        Assert.Equal(db, db2);
    }

    [Fact]
    public void BatchNormSimd_RunningStats_BitIdenticalToPerElementFormula()
    {
        if (!BatchNormSimd.Supported)
        {
            return;
        }

        const int N = 3, C = 2;
        foreach (int s in RunLengths)
        {
            int len = N * C * s;
            var x = KernelTestData.Normal((ulong)s, len, sigma: 2);
            var r = KernelTestData.Normal((ulong)s + 9, len);
            float[] w = [1.5f, -0.7f], b = [0.25f, -1.1f], mean = [0.3f, -0.2f], var = [1.7f, 0.4f], rstd = new float[C];
            var y = new float[len];
            BatchNormSimd.Forward(x, w, b, y, mean, var, rstd, N, C, s, 0, C, batchStats: false, 1e-5f, r, relu: true);
            for (int i = 0; i < len; i++)
            {
                int ch = i / s % C;
                var (_, scale, shift) = Norm.ChannelAffine(var[ch], 1e-5f, w, b, ch);
                float v = ((x[i] - mean[ch]) * scale) + shift + r[i];
                v = v <= 0f ? 0f : v;
                Assert.True(BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(y[i]), $"S={s} y[{i}]: {y[i]} vs {v}");
            }
        }
    }

    [Fact]
    public void BatchNormSimd_ChannelSplit_BitIdentical()
    {
        if (!BatchNormSimd.Supported)
        {
            return;
        }

        const int N = 5, C = 7, S = 49;
        var x = KernelTestData.Normal(3, N * C * S);
        var dy = KernelTestData.Normal(4, N * C * S);
        var w = KernelTestData.Normal(5, C);
        var b = KernelTestData.Normal(6, C);
        (float[] Y, float[] Dx, float[] Dw) Run(int[] cuts)
        {
            float[] y = new float[N * C * S], dx = new float[N * C * S], mean = new float[C], var = new float[C], rstd = new float[C];
            float[] dw = new float[C], db = new float[C];
            for (int k = 0; k + 1 < cuts.Length; k++)
            {
                BatchNormSimd.Forward(x, w, b, y, mean, var, rstd, N, C, S, cuts[k], cuts[k + 1], true, 1e-5f, [], true);
            }

            for (int k = cuts.Length - 1; k > 0; k--)
            {
                BatchNormSimd.Backward(dy, y, [], x, w, mean, rstd, dx, dw, db, N, C, S, cuts[k - 1], cuts[k], true);
            }

            return (y, dx, dw);
        }

        var whole = Run([0, C]);
        var split = Run([0, 2, 3, 7]);
        Assert.Equal(whole.Y, split.Y);
        Assert.Equal(whole.Dx, split.Dx);
        Assert.Equal(whole.Dw, split.Dw);
    }

    [Fact]
    public void BatchNormAct_Float32_MatchesFloat64_ThroughAutograd()
    {
        // F.BatchNormAct in float32 (the fused kernel on AVX-512) against the same op in float64 (the generic form):
        // output and every gradient, the residual's included.
        var rng = new Rng(11);
        var xd = Tensor.Randn(rng, [6, 5, 7, 7]);
        var rd = Tensor.Randn(rng, [6, 5, 7, 7]);
        var wd = Tensor.Randn(rng, [5]);
        var bd = Tensor.Randn(rng, [5]);
        var gd = Tensor.Randn(rng, [6, 5, 7, 7]);
        Tensor[] Run(DType t)
        {
            var x = xd.ToDType(t).WithGrad();
            var r = rd.ToDType(t).WithGrad();
            var w = wd.ToDType(t).WithGrad();
            var b = bd.ToDType(t).WithGrad();
            var y = F.BatchNormAct(x, null, null, w, b, training: true, 0.1, 1e-5, r, relu: true);
            (y * gd.ToDType(t)).Sum().Backward();
            return [y, x.Grad!, r.Grad!, w.Grad!, b.Grad!];
        }

        var f = Run(DType.Float32);
        var d = Run(DType.Float64);
        string[] names = ["y", "dx", "dresidual", "dw", "db"];
        for (int i = 0; i < f.Length; i++)
        {
            TestUtil.AssertClose(d[i].ToDType(DType.Float32), f[i], 1e-4, 1e-3, names[i]);
        }
    }
}
