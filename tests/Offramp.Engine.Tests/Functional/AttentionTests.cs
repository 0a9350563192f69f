using Offramp.Engine.Functional;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Functional;

public class AttentionTests
{
    [Fact]
    [GradCheckCase("sdpa")]
    public void Sdpa_NoBias_PassesGradCheck()
    {
        var q = TestUtil.R64(61, 2, 2, 3, 4);
        var k = TestUtil.R64(62, 2, 2, 5, 4);
        var v = TestUtil.R64(63, 2, 2, 5, 3);
        TestUtil.AssertGrad(a => F.ScaledDotProductAttention(a[0], a[1], a[2]), q, k, v);
        TestUtil.AssertGrad(a => F.ScaledDotProductAttention(a[0], a[1], a[2], scale: 0.7), q, k, v);
    }

    [Theory]
    [GradCheckCase("sdpa")]
    [InlineData(new[] { 1, 2, 3, 5 })]
    [InlineData(new[] { 2, 1, 5 })]
    [InlineData(new[] { 3, 1 })]
    [InlineData(new[] { 5 })]
    public void Sdpa_WithBias_PassesGradCheck(int[] biasShape)
    {
        var q = TestUtil.R64(64, 1, 2, 3, 4);
        var k = TestUtil.R64(65, 1, 2, 5, 4);
        var v = TestUtil.R64(66, 1, 2, 5, 2);
        var bias = TestUtil.R64(67, biasShape);
        TestUtil.AssertGrad(a => F.ScaledDotProductAttention(a[0], a[1], a[2], a[3]), q, k, v, bias);
    }

    [Fact]
    [GradCheckCase("sdpa")]
    public void Sdpa_WithDropout_PassesGradCheck()
    {
        var q = TestUtil.R64(68, 1, 2, 3, 4);
        var k = TestUtil.R64(69, 1, 2, 4, 4);
        var v = TestUtil.R64(70, 1, 2, 4, 3);
        var bias = TestUtil.R64(71, 3, 4);
        TestUtil.AssertGrad(a => F.ScaledDotProductAttention(a[0], a[1], a[2], a[3], dropoutP: 0.3, rng: new Rng(5)), q, k, v, bias);
    }

    [Fact]
    public void Sdpa_Forward_MatchesDirectDoubleComputation()
    {
        int n = 2, h = 3, lq = 4, lk = 6, d = 5, dv = 7;
        var qd = KernelTestData.Normal(1, n * h * lq * d);
        var kd = KernelTestData.Normal(2, n * h * lk * d);
        var vd = KernelTestData.Normal(3, n * h * lk * dv);
        var bd = KernelTestData.Normal(4, h * lq * lk);
        var o = F.ScaledDotProductAttention(Tensor.FromArray(qd, n, h, lq, d), Tensor.FromArray(kd, n, h, lk, d),
            Tensor.FromArray(vd, n, h, lk, dv), Tensor.FromArray(bd, h, lq, lk)).ToArray();
        var expected = new float[n * h * lq * dv];
        double scale = 1 / Math.Sqrt(d);
        for (int b = 0; b < n * h; b++)
        {
            int head = b % h;
            for (int i = 0; i < lq; i++)
            {
                var s = new double[lk];
                for (int j = 0; j < lk; j++)
                {
                    for (int t = 0; t < d; t++)
                    {
                        s[j] += (double)qd[(b * lq + i) * d + t] * kd[(b * lk + j) * d + t];
                    }

                    s[j] = s[j] * scale + bd[(head * lq + i) * lk + j];
                }

                double z = s.Sum(Math.Exp);
                for (int t = 0; t < dv; t++)
                {
                    double acc = 0;
                    for (int j = 0; j < lk; j++)
                    {
                        acc += Math.Exp(s[j]) / z * vd[(b * lk + j) * dv + t];
                    }

                    expected[(b * lq + i) * dv + t] = (float)acc;
                }
            }
        }

        TestUtil.AssertClose(expected, o, 1e-5, 1e-4, "sdpa");
    }

    [Fact]
    public void Sdpa_NegativeInfinityBias_MasksKeys()
    {
        // Causal mask: query i sees keys 0..i only, so output row 0 is exactly v[0].
        var q = Tensor.FromArray(KernelTestData.Normal(5, 12), 1, 1, 3, 4);
        var k = Tensor.FromArray(KernelTestData.Normal(6, 12), 1, 1, 3, 4);
        var vData = KernelTestData.Normal(7, 6);
        var v = Tensor.FromArray(vData, 1, 1, 3, 2);
        var mask = Tensor.FromArray(new float[] { 0, float.NegativeInfinity, float.NegativeInfinity, 0, 0, float.NegativeInfinity, 0, 0, 0 }, 3, 3);
        var o = F.ScaledDotProductAttention(q, k, v, mask).ToArray();
        Assert.Equal(vData[0], o[0], 1e-6f);
        Assert.Equal(vData[1], o[1], 1e-6f);
        Assert.All(o, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Sdpa_Dropout_SameSeedSameOutput_ZeroPMatchesNoDropout()
    {
        var q = Tensor.FromArray(KernelTestData.Normal(8, 24), 1, 2, 3, 4);
        var k = Tensor.FromArray(KernelTestData.Normal(9, 24), 1, 2, 3, 4);
        var v = Tensor.FromArray(KernelTestData.Normal(10, 24), 1, 2, 3, 4);
        var a = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, rng: new Rng(1)).ToArray();
        var b = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, rng: new Rng(1)).ToArray();
        Assert.Equal(a, b);
        Assert.Equal(F.ScaledDotProductAttention(q, k, v).ToArray(), F.ScaledDotProductAttention(q, k, v, dropoutP: 0, rng: new Rng(1)).ToArray());
    }

    [Fact]
    public void Sdpa_BadShapes_ThrowNamingShapes()
    {
        var q = Tensor.Zeros(1, 2, 3, 4);
        var ex = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros(1, 2, 5, 3), Tensor.Zeros(1, 2, 5, 4)));
        Assert.Contains("k (1, 2, 5, 3)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, Tensor.Zeros(1, 2, 5, 4), Tensor.Zeros(1, 2, 5, 4), Tensor.Zeros(3, 4)));
        Assert.Contains("attn_bias (3, 4)", ex.Message);
        Assert.Contains("(1, 2, 3, 5)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, q, dropoutP: 0.1));
        Assert.Contains("Rng", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(Tensor.Zeros(2, 3, 4), q, q));
        Assert.Contains("q (2, 3, 4)", ex.Message);
    }

    [Fact]
    public void AttentionKernel_ManyShapes_MatchesReference()
    {
        int[] sizes = [1, 3, 7, 17];
        foreach (int lq in sizes)
        {
            foreach (int lk in sizes)
            {
                foreach (int d in new[] { 1, 8, 16, 17, 33, 64 }) // 16 and 64: the AVX-512 forward
                {
                    foreach (int mode in new[] { 0, 1, 2 })
                    {
                        int dv = d == 1 ? 3 : d;
                        bool withBias = mode >= 1, withMask = mode == 2;
                        var q = KernelTestData.Normal((ulong)(lq * 31 + d), lq * d);
                        var k = KernelTestData.Normal((ulong)(lk * 37 + d), lk * d);
                        var v = KernelTestData.Normal((ulong)(lk * 41 + dv), lk * dv);
                        var dO = KernelTestData.Normal((ulong)(lq * 43 + dv), lq * dv);
                        float[] bias = withBias ? KernelTestData.Normal(9, lk) : []; // one row broadcast over queries
                        float[] mask = withMask ? KernelTestData.Uniform(10, lq * lk, 0, 1).Select(u => u < 0.3f ? 0f : 1 / 0.7f).ToArray() : [];
                        float scale = 1 / MathF.Sqrt(d);
                        float[] p = new float[lq * lk], o = new float[lq * dv], dq = new float[lq * d], dk = new float[lk * d];
                        float[] dvv = new float[lk * dv], ds = new float[lq * lk];
                        Engine.Kernels.Attention.Forward<float>(q, k, v, bias, 0, 0, 1, mask, p, o, lq, lk, d, dv, scale);
                        Engine.Kernels.Attention.Backward<float>(q, k, v, p, mask, dO, dq, dk, dvv, ds, lq, lk, d, dv, scale);

                        double[] pR = new double[lq * lk], oR = new double[lq * dv], dqR = new double[lq * d], dkR = new double[lk * d];
                        double[] dvR = new double[lk * dv], dsR = new double[lq * lk];
                        double[] qD = KernelTestData.ToDouble(q), kD = KernelTestData.ToDouble(k), vD = KernelTestData.ToDouble(v);
                        double[] mD = KernelTestData.ToDouble(mask);
                        AttentionReference.Forward<double>(qD, kD, vD, KernelTestData.ToDouble(bias), 0, 0, 1, mD, pR, oR, lq, lk, d, dv, scale);
                        AttentionReference.Backward<double>(qD, kD, vD, pR, mD, KernelTestData.ToDouble(dO), dqR, dkR, dvR, dsR, lq, lk, d, dv, scale);
                        string what = $"attention (Lq, Lk, D, Dv) = ({lq}, {lk}, {d}, {dv}) bias={withBias} mask={withMask}";
                        TestUtil.AssertClose(KernelTestData.ToFloat(pR), p, 1e-5, 1e-4, what + " P");
                        TestUtil.AssertClose(KernelTestData.ToFloat(oR), o, 1e-5, 1e-4, what + " O");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dqR), dq, 1e-4, 1e-3, what + " dQ");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dkR), dk, 1e-4, 1e-3, what + " dK");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dvR), dvv, 1e-4, 1e-3, what + " dV");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dsR), ds, 1e-4, 1e-3, what + " dS");
                    }
                }
            }
        }
    }
}
