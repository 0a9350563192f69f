using Offramp.Engine.Functional;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Functional;

/// <summary>The GEMM-fused attention kernel on strided operands, and <see cref="F.PackedAttention"/>.</summary>
[Collection(Training.ThreadCountCollection.Name)]
public class PackedAttentionTests
{
    private const double Atol = 1e-5, Rtol = 1e-4, GradAtol = 1e-4, GradRtol = 1e-3;

    [Fact]
    public void AttentionKernel_StridedOperands_MatchesReferenceAndStaysInItsColumns()
    {
        foreach (var (lq, lk, d, pad) in new[]
        {
            (1, 1, 1, 1), (3, 7, 5, 2), (17, 5, 33, 3), (50, 50, 64, 7), (9, 31, 16, 0),
            // head widths that are multiples of 16 take the AVX-512 path: row tails of 1–3, column tails of 1–3 vectors
            (65, 65, 64, 5), (1, 65, 32, 3), (4, 1, 16, 1), (7, 17, 48, 0), (6, 80, 64, 2), (16, 16, 16, 16), (11, 129, 80, 1),
            (16, 1024, 32, 1), (5, 200, 16, 0), (3, 64, 32, 2), // long key sequences: several 64-column blocks of Kᵀ
        })
        {
            foreach (int mode in new[] { 0, 1, 2 })
            {
                bool withBias = mode >= 1, withMask = mode == 2;
                int ld = d + pad; // every operand lives in a wider row; the padding holds NaN and must not be read
                var q = Dense(1, lq, d);
                var k = Dense(2, lk, d);
                var v = Dense(3, lk, d);
                var dO = Dense(4, lq, d);
                float[] bias = withBias ? KernelTestData.Normal(5, lq * lk) : [];
                float[] mask = withMask ? KernelTestData.Uniform(6, lq * lk, 0, 1).Select(u => u < 0.3f ? 0f : 1 / 0.7f).ToArray() : [];
                float scale = 1 / MathF.Sqrt(d);
                float[] p = new float[lq * lk], ds = new float[lq * lk];
                float[] o = Sentinel(lq, ld), dq = Sentinel(lq, ld), dk = Sentinel(lk, ld), dv = Sentinel(lk, ld);
                Engine.Kernels.Attention.Forward<float>(Strided(q, d, ld), ld, Strided(k, d, ld), ld, Strided(v, d, ld), ld,
                    bias, 0, lk, 1, mask, p, o, ld, lq, lk, d, d, scale);
                Engine.Kernels.Attention.Backward<float>(Strided(q, d, ld), ld, Strided(k, d, ld), ld, Strided(v, d, ld), ld,
                    p, mask, Strided(dO, d, ld), ld, dq, ld, dk, ld, dv, ld, ds, lq, lk, d, d, scale);

                double[] pR = new double[lq * lk], oR = new double[lq * d], dqR = new double[lq * d], dkR = new double[lk * d];
                double[] dvR = new double[lk * d], dsR = new double[lq * lk];
                double[] mD = KernelTestData.ToDouble(mask);
                AttentionReference.Forward<double>(KernelTestData.ToDouble(q), KernelTestData.ToDouble(k), KernelTestData.ToDouble(v),
                    KernelTestData.ToDouble(bias), 0, lk, 1, mD, pR, oR, lq, lk, d, d, scale);
                AttentionReference.Backward<double>(KernelTestData.ToDouble(q), KernelTestData.ToDouble(k), KernelTestData.ToDouble(v),
                    pR, mD, KernelTestData.ToDouble(dO), dqR, dkR, dvR, dsR, lq, lk, d, d, scale);
                string what = $"attention (Lq, Lk, D, ld) = ({lq}, {lk}, {d}, {ld}) bias={withBias} mask={withMask}";
                TestUtil.AssertClose(KernelTestData.ToFloat(pR), p, Atol, Rtol, what + " P");
                TestUtil.AssertClose(KernelTestData.ToFloat(oR), Compact(o, d, ld), Atol, Rtol, what + " O");
                TestUtil.AssertClose(KernelTestData.ToFloat(dsR), ds, GradAtol, GradRtol, what + " dS");
                TestUtil.AssertClose(KernelTestData.ToFloat(dqR), Compact(dq, d, ld), GradAtol, GradRtol, what + " dQ");
                TestUtil.AssertClose(KernelTestData.ToFloat(dkR), Compact(dk, d, ld), GradAtol, GradRtol, what + " dK");
                TestUtil.AssertClose(KernelTestData.ToFloat(dvR), Compact(dv, d, ld), GradAtol, GradRtol, what + " dV");
                foreach (var (buf, name) in new[] { (o, "O"), (dq, "dQ"), (dk, "dK"), (dv, "dV") })
                {
                    Assert.True(PaddingUntouched(buf, d, ld), $"{what}: {name} wrote outside its columns");
                }
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void PackedAttention_SelfAttention_MatchesSdpaOnPermutedCopies(bool withBias, bool withDropout)
    {
        int b = 2, n = 5, h = 3, d = 7, c = h * d;
        var qkvA = Tensor.FromArray(KernelTestData.Normal(11, b * n * 3 * c), b, n, 3 * c).WithGrad();
        var qkvB = Tensor.FromArray(qkvA.ToArray(), b, n, 3 * c).WithGrad();
        var biasA = withBias ? Tensor.FromArray(KernelTestData.Normal(12, h * n * n), 1, h, n, n).WithGrad() : null;
        var biasB = withBias ? Tensor.FromArray(biasA!.ToArray(), 1, h, n, n).WithGrad() : null;
        double p = withDropout ? 0.25 : 0.0;

        var fast = F.PackedAttention(qkvA, 0, qkvA, c, qkvA, 2 * c, h, d, biasA, p, withDropout ? new Rng(7) : null);
        var heads = qkvB.Reshape(b, n, 3, h, d).Permute(2, 0, 3, 1, 4);
        var q = heads.Narrow(0, 0, 1).Reshape(b, h, n, d);
        var k = heads.Narrow(0, 1, 1).Reshape(b, h, n, d);
        var v = heads.Narrow(0, 2, 1).Reshape(b, h, n, d);
        var slow = F.ScaledDotProductAttention(q, k, v, biasB, p, withDropout ? new Rng(7) : null).Transpose(1, 2).Reshape(b, n, c);
        TestUtil.AssertClose(slow, fast, Atol, Rtol, "packed self-attention forward");

        var w = Tensor.FromArray(KernelTestData.Normal(13, b * n * c), b, n, c);
        fast.Mul(w).Sum().Backward();
        slow.Mul(w).Sum().Backward();
        TestUtil.AssertClose(qkvB.Grad!, qkvA.Grad!, GradAtol, GradRtol, "d qkv");
        if (withBias)
        {
            TestUtil.AssertClose(biasB!.Grad!, biasA!.Grad!, GradAtol, GradRtol, "d bias");
        }
    }

    [Fact]
    public void PackedAttention_CrossAttentionWithPackedKv_MatchesSdpa()
    {
        int b = 3, lq = 4, lk = 9, h = 2, d = 5, c = h * d;
        var qA = Tensor.FromArray(KernelTestData.Normal(21, b * lq * (c + 3)), b, lq, c + 3).WithGrad(); // 3 unused columns
        var kvA = Tensor.FromArray(KernelTestData.Normal(22, b * lk * 2 * c), b, lk, 2 * c).WithGrad();
        var qB = Tensor.FromArray(qA.ToArray(), b, lq, c + 3).WithGrad();
        var kvB = Tensor.FromArray(kvA.ToArray(), b, lk, 2 * c).WithGrad();

        var fast = F.PackedAttention(qA, 3, kvA, 0, kvA, c, h, d, scale: 0.3);
        var q = qB.Narrow(2, 3, c).Reshape(b, lq, h, d).Transpose(1, 2);
        var kv = kvB.Reshape(b, lk, 2, h, d).Permute(2, 0, 3, 1, 4);
        var k = kv.Narrow(0, 0, 1).Reshape(b, h, lk, d);
        var v = kv.Narrow(0, 1, 1).Reshape(b, h, lk, d);
        var slow = F.ScaledDotProductAttention(q, k, v, scale: 0.3).Transpose(1, 2).Reshape(b, lq, c);
        TestUtil.AssertClose(slow, fast, Atol, Rtol, "packed cross-attention forward");

        var w = Tensor.FromArray(KernelTestData.Normal(23, b * lq * c), b, lq, c);
        fast.Mul(w).Sum().Backward();
        slow.Mul(w).Sum().Backward();
        TestUtil.AssertClose(qB.Grad!, qA.Grad!, GradAtol, GradRtol, "d q (unused columns get 0)");
        TestUtil.AssertClose(kvB.Grad!, kvA.Grad!, GradAtol, GradRtol, "d kv");
    }

    [Fact]
    [GradCheckCase("packed_attention")]
    public void PackedAttention_PackedQkv_PassesGradCheck()
    {
        var qkv = TestUtil.R64(31, 2, 3, 3 * 2 * 2);
        TestUtil.AssertGrad(a => F.PackedAttention(a[0], 0, a[0], 4, a[0], 8, 2, 2), qkv);
    }

    [Fact]
    [GradCheckCase("packed_attention")]
    public void PackedAttention_SeparateInputsWithBiasAndDropout_PassesGradCheck()
    {
        var q = TestUtil.R64(32, 2, 3, 7);
        var k = TestUtil.R64(33, 2, 4, 6);
        var v = TestUtil.R64(34, 2, 4, 8);
        var bias = TestUtil.R64(35, 2, 1, 3, 4);
        TestUtil.AssertGrad(a => F.PackedAttention(a[0], 1, a[1], 0, a[2], 2, 2, 3, a[3]), q, k, v, bias);
        TestUtil.AssertGrad(a => F.PackedAttention(a[0], 1, a[1], 0, a[2], 2, 2, 3, a[3], dropoutP: 0.3, rng: new Rng(9)), q, k, v, bias);
    }

    [Fact]
    public void PackedAttention_ThreadCount_BitIdentical()
    {
        int b = 4, n = 50, h = 3, d = 64, c = h * d;
        var data = KernelTestData.Normal(41, b * n * 3 * c);
        var w = Tensor.FromArray(KernelTestData.Normal(42, b * n * c), b, n, c);
        int saved = Parallelism.Threads;
        try
        {
            (float[] O, float[] G) Run(int threads)
            {
                Parallelism.Threads = threads;
                var qkv = Tensor.FromArray(data, b, n, 3 * c).WithGrad();
                var o = F.PackedAttention(qkv, 0, qkv, c, qkv, 2 * c, h, d, dropoutP: 0.1, rng: new Rng(3));
                o.Mul(w).Sum().Backward();
                return (o.ToArray(), qkv.Grad!.ToArray());
            }

            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.O, two.O);
            Assert.Equal(one.G, two.G);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void PackedAttention_Inference_BitIdenticalToTheRecordedForward()
    {
        // Without a graph the softmax weights live in a per-task scratch instead of a (B, H, Lq, Lk) tensor; the
        // output is the same, with and without a key bias.
        var qkv = Tensor.Randn(new Rng(21), [5, 13, 3 * 24]).WithGrad();
        var bias = Tensor.Randn(new Rng(22), [1, 3, 13, 13]);
        foreach (var b in new[] { null, bias })
        {
            var recorded = F.PackedAttention(qkv, 0, qkv, 24, qkv, 48, 3, 8, b).ToArray();
            float[] inference;
            using (Offramp.Engine.Autograd.NoGrad())
            {
                inference = F.PackedAttention(qkv, 0, qkv, 24, qkv, 48, 3, 8, b).ToArray();
            }

            Assert.Equal(recorded, inference);
        }
    }

    [Fact]
    public void PackedAttention_BadShapes_ThrowNamingShapes()
    {
        var qkv = Tensor.Zeros(2, 5, 12);
        var ex = Assert.Throws<ArgumentException>(() => F.PackedAttention(qkv, 0, qkv, 4, qkv, 9, 2, 2));
        Assert.Contains("(2, 5, 12) at 9", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.PackedAttention(Tensor.Zeros(2, 5), 0, qkv, 0, qkv, 0, 2, 2));
        Assert.Contains("q (2, 5)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.PackedAttention(qkv, 0, Tensor.Zeros(3, 5, 12), 0, qkv, 0, 2, 2));
        Assert.Contains("k (3, 5, 12)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.PackedAttention(qkv, 0, qkv, 0, qkv, 0, 2, 2, Tensor.Zeros(3, 5, 5)));
        Assert.Contains("attn_bias (3, 5, 5)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.PackedAttention(qkv, 0, qkv, 0, qkv, 0, 2, 2, dropoutP: 0.5));
        Assert.Contains("Rng", ex.Message);
    }

    private static float[] Dense(ulong seed, int rows, int cols) => KernelTestData.Normal(seed, rows * cols);

    // rows × d dense → rows × ld with NaN padding.
    private static float[] Strided(float[] dense, int d, int ld)
    {
        int rows = dense.Length / Math.Max(d, 1);
        var s = Sentinel(rows, ld);
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(dense, r * d, s, r * ld, d);
        }

        return s;
    }

    private static float[] Sentinel(int rows, int ld) => Enumerable.Repeat(float.NaN, rows * ld).ToArray();

    private static float[] Compact(float[] strided, int d, int ld)
    {
        int rows = strided.Length / ld;
        var c = new float[rows * d];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(strided, r * ld, c, r * d, d);
        }

        return c;
    }

    private static bool PaddingUntouched(float[] strided, int d, int ld)
    {
        for (int i = 0; i < strided.Length; i++)
        {
            if (i % ld >= d && !float.IsNaN(strided[i]))
            {
                return false;
            }
        }

        return true;
    }
}
