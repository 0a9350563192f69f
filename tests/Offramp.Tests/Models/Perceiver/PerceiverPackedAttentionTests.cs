using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Nn;
using Offramp.Models.Perceiver;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// The Perceiver's MultiHeadAttention on its packed path (equal query/key and value head widths, heads read in place
/// by <see cref="F.PackedAttention"/>) against the head-split formulation (reshape → transpose →
/// ScaledDotProductAttention → transpose → reshape), forward and gradients, and across thread counts.
/// </summary>
public class PerceiverPackedAttentionTests
{
    public static TheoryData<int, int, int, int, int, int, int, bool> Shapes => new()
    {
        // heads, q_in, kv_in, qk = v, out, Lq, Lkv, rpb
        { 1, 16, 16, 2, 16, 13, 5, false },   // Z2X-like: one head of C/8, many queries
        { 1, 8, 8, 8, 8, 5, 9, true },        // X2Z-like: one head, key bias over the keys
        { 4, 12, 12, 12, 12, 7, 7, false },   // self-attention, several heads
        { 3, 7, 5, 9, 4, 3, 11, true },       // odd widths, cross, key bias
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackedPath_MatchesHeadSplitAttention_ForwardAndGradients(int heads, int qIn, int kvIn, int qkv, int outC,
        int lq, int lkv, bool rpb)
    {
        var rng = new Rng(11);
        var mha = new MultiHeadAttention(heads, qIn, kvIn, rng, qkChannels: qkv, vChannels: qkv, outChannels: outC,
            rpbTokens: rpb ? lkv : 0);
        if (rpb)
        {
            Init.Normal(mha.RelativePositionBias!, rng, 0, 0.5);
        }

        var xq = Tensor.Randn(rng, [2, lq, qIn]);
        var xkv = Tensor.Randn(rng, [2, lkv, kvIn]);
        xq.RequiresGrad = true;
        xkv.RequiresGrad = true;
        var gy = Tensor.Randn(rng, [2, lq, outC]);

        var got = mha.Forward(xq, xkv);
        got.Mul(gy).Sum().Backward();
        var gotGrads = Grads(mha, xq, xkv);
        Clear(mha, xq, xkv);

        var want = HeadSplit(mha, xq, xkv);
        want.Mul(gy).Sum().Backward();
        var wantGrads = Grads(mha, xq, xkv);

        AssertClose(want.ToArray(), got.ToArray(), "output");
        Assert.Equal(wantGrads.Count, gotGrads.Count);
        for (int i = 0; i < wantGrads.Count; i++)
        {
            AssertClose(wantGrads[i], gotGrads[i], $"gradient {i}");
        }
    }

    [Fact]
    public void PackedPath_IsBitIdenticalForOneAndTwoThreads()
    {
        int saved = Parallelism.Threads;
        try
        {
            float[] Run(int threads)
            {
                Parallelism.Threads = threads;
                var rng = new Rng(5);
                var mha = new MultiHeadAttention(4, 16, 16, rng, rpbTokens: 9);
                Init.Normal(mha.RelativePositionBias!, rng, 0, 0.5);
                var xq = Tensor.Randn(rng, [6, 9, 16]);
                xq.RequiresGrad = true;
                var y = mha.Forward(xq, xq);
                y.Mul(y).Sum().Backward();
                return [.. y.ToArray(), .. xq.Grad!.ToArray(), .. mha.RelativePositionBias!.Grad!.ToArray()];
            }

            Assert.Equal(Run(1), Run(2));
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    // The formulation the module used before the packed path: split heads with permutes, SDPA, merge heads.
    private static Tensor HeadSplit(MultiHeadAttention mha, Tensor xq, Tensor xkv)
    {
        int b = xq.Shape[0], lq = xq.Shape[1], lkv = xkv.Shape[1], h = mha.NumHeads;
        int dqk = mha.QkChannels / h, dv = mha.VChannels / h;
        var k = mha.KProj.Forward(xkv);
        if (mha.RelativePositionBias is not null)
        {
            k = k.Add(mha.RelativePositionBias);
        }

        var qh = mha.QProj.Forward(xq).Reshape(b, lq, h, dqk).Transpose(1, 2);
        var kh = k.Reshape(b, lkv, h, dqk).Transpose(1, 2);
        var vh = mha.VProj.Forward(xkv).Reshape(b, lkv, h, dv).Transpose(1, 2);
        var o = F.ScaledDotProductAttention(qh, kh, vh);
        return mha.OProj.Forward(o.Transpose(1, 2).Reshape(b, lq, mha.VChannels));
    }

    private static List<float[]> Grads(MultiHeadAttention mha, Tensor xq, Tensor xkv) =>
        [xq.Grad!.ToArray(), xkv.Grad!.ToArray(), .. mha.Parameters().Select(p => p.Grad!.ToArray())];

    private static void Clear(MultiHeadAttention mha, Tensor xq, Tensor xkv)
    {
        xq.Grad = null;
        xkv.Grad = null;
        foreach (var p in mha.Parameters())
        {
            p.Grad = null;
        }
    }

    private static void AssertClose(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5 + 1e-5 * Math.Abs(want[i]),
                $"{what}[{i}]: head-split {want[i]}, packed {got[i]}");
        }
    }
}
