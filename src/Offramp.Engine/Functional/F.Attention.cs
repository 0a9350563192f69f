using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale + bias)·V (<c>torch.nn.functional.scaled_dot_product_attention</c> with an additive
    /// float mask), as one fused kernel per (batch, head) with its own backward.
    /// </summary>
    /// <remarks>
    /// <para>The softmax weights are kept for the backward (memory N·H·Lq·Lk). A row whose bias is −∞ everywhere
    /// gives NaN, as in PyTorch.</para>
    /// <para>Dropout (when <paramref name="dropoutP"/> &gt; 0) zeroes attention weights with probability p and scales
    /// the rest by 1/(1 − p); the mask is drawn from <paramref name="rng"/>, one <see cref="Rng.NextDouble"/> per
    /// weight in (n, h, i, j) order. Pass 0 in eval, as PyTorch callers do.</para>
    /// </remarks>
    /// <param name="q">Queries (N, H, Lq, D).</param>
    /// <param name="k">Keys (N, H, Lk, D).</param>
    /// <param name="v">Values (N, H, Lk, Dv).</param>
    /// <param name="attnBias">Added to the scores; broadcastable to (N, H, Lq, Lk), or null.</param>
    /// <param name="dropoutP">Dropout probability on the attention weights, in [0, 1].</param>
    /// <param name="rng">Source of the dropout mask; required when <paramref name="dropoutP"/> &gt; 0.</param>
    /// <param name="scale">Score scale; 1/√D when null.</param>
    /// <returns>(N, H, Lq, Dv).</returns>
    /// <exception cref="ArgumentException">Shapes or types disagree (the message names them), or dropout without an rng.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropoutP"/> is outside [0, 1].</exception>
    [Differentiable("sdpa")]
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? attnBias = null,
        double dropoutP = 0.0, Rng? rng = null, double? scale = null)
    {
        string shapes = $"q {Shape.Format(q.Shape)}, k {Shape.Format(k.Shape)}, v {Shape.Format(v.Shape)}";
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
        {
            throw new ArgumentException($"sdpa: q, k, v must be (N, H, L, D); got {shapes}");
        }

        int n = q.Shape[0], h = q.Shape[1], lq = q.Shape[2], d = q.Shape[3];
        int lk = k.Shape[2], dv = v.Shape[3];
        if (k.Shape[0] != n || k.Shape[1] != h || v.Shape[0] != n || v.Shape[1] != h)
        {
            throw new ArgumentException($"sdpa: batch and head dims of q, k, v differ: {shapes}");
        }

        if (k.Shape[3] != d || v.Shape[2] != lk)
        {
            throw new ArgumentException($"sdpa: need k (N, H, Lk, D) matching q's D and v (N, H, Lk, Dv) matching k's Lk; got {shapes}");
        }

        q.CheckSameDType(k, "sdpa");
        q.CheckSameDType(v, "sdpa");
        int[] scoreShape = [n, h, lq, lk];
        var (biasStrides, mask) = AttentionBiasAndMask(q, attnBias, scoreShape, dropoutP, rng, "sdpa", shapes);
        double sc = scale ?? 1.0 / Math.Sqrt(d);
        return q.DType == DType.Float32
            ? SdpaImpl<float>(q, k, v, attnBias, biasStrides, mask, sc)
            : SdpaImpl<double>(q, k, v, attnBias, biasStrides, mask, sc);
    }

    // Checks attn_bias against the scores (N, H, Lq, Lk) and returns its broadcast strides (zeros without a bias),
    // and draws the dropout mask (N, H, Lq, Lk) in (n, h, i, j) order, or null without dropout.
    private static (int[] BiasStrides, Tensor? Mask) AttentionBiasAndMask(Tensor q, Tensor? attnBias, int[] scoreShape,
        double dropoutP, Rng? rng, string op, string shapes)
    {
        int[] biasStrides = [0, 0, 0, 0];
        if (attnBias is not null)
        {
            q.CheckSameDType(attnBias, op + " attn_bias");
            bool fits = attnBias.Rank <= 4;
            if (fits)
            {
                try
                {
                    fits = Shape.Equal(Shape.Broadcast(attnBias.Shape, scoreShape), scoreShape);
                }
                catch (ArgumentException)
                {
                    fits = false;
                }
            }

            if (!fits)
            {
                throw new ArgumentException(
                    $"{op}: attn_bias {Shape.Format(attnBias.Shape)} does not broadcast to the scores {Shape.Format(scoreShape)} ({shapes})");
            }

            biasStrides = Shape.BroadcastStrides(attnBias.Shape, scoreShape);
        }

        CheckProbability(dropoutP, op);
        Tensor? mask = null;
        if (dropoutP > 0)
        {
            if (rng is null)
            {
                throw new ArgumentException($"{op}: dropoutP = {dropoutP} needs an Rng");
            }

            mask = Tensor.Zeros(scoreShape, q.DType); // p = 1 keeps it all zero
            if (dropoutP < 1)
            {
                DrawKeepMask(mask, dropoutP, 1.0 / (1.0 - dropoutP), rng);
            }
        }

        return (biasStrides, mask);
    }

    private static Tensor SdpaImpl<T>(Tensor q, Tensor k, Tensor v, Tensor? bias, int[] bs, Tensor? mask, double scaleValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = q.Shape[0], h = q.Shape[1], lq = q.Shape[2], d = q.Shape[3], lk = k.Shape[2], dv = v.Shape[3];
        int heads = n * h;
        var o = Tensor.Empty([n, h, lq, dv], q.DType);
        var p = Tensor.Empty([n, h, lq, lk], q.DType);
        T scale = T.CreateChecked(scaleValue);
        long work = 2L * lq * lk * (d + dv);
        Rows.For(heads, work, (b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
            {
                int biasOffset = (b / h) * bs[0] + (b % h) * bs[1];
                Kernels.Attention.Forward<T>(
                    q.Data<T>().Slice(b * lq * d, lq * d), k.Data<T>().Slice(b * lk * d, lk * d),
                    v.Data<T>().Slice(b * lk * dv, lk * dv),
                    bias is null ? [] : bias.Data<T>(), biasOffset, bs[2], bs[3],
                    mask is null ? [] : mask.Data<T>().Slice(b * lq * lk, lq * lk),
                    p.Data<T>().Slice(b * lq * lk, lq * lk), o.Data<T>().Slice(b * lq * dv, lq * dv), lq, lk, d, dv, scale);
            }
        });

        if (Autograd.ShouldRecord(q, k, v, bias))
        {
            Autograd.Record(o, "sdpa", [q, k, v, bias], g =>
            {
                var dq = Tensor.Empty(q.Shape, q.DType);
                var dk = Tensor.Empty(k.Shape, k.DType);
                var dvT = Tensor.Empty(v.Shape, v.DType);
                var ds = Tensor.Empty([n, h, lq, lk], q.DType);
                Rows.For(heads, 2 * work, (b0, b1) =>
                {
                    for (int b = b0; b < b1; b++)
                    {
                        Kernels.Attention.Backward<T>(
                            q.Data<T>().Slice(b * lq * d, lq * d), k.Data<T>().Slice(b * lk * d, lk * d),
                            v.Data<T>().Slice(b * lk * dv, lk * dv), p.Data<T>().Slice(b * lq * lk, lq * lk),
                            mask is null ? [] : mask.Data<T>().Slice(b * lq * lk, lq * lk),
                            g.Data<T>().Slice(b * lq * dv, lq * dv),
                            dq.Data<T>().Slice(b * lq * d, lq * d), dk.Data<T>().Slice(b * lk * d, lk * d),
                            dvT.Data<T>().Slice(b * lk * dv, lk * dv), ds.Data<T>().Slice(b * lq * lk, lq * lk),
                            lq, lk, d, dv, scale);
                    }
                });

                // dBias: the score gradient summed over the dims the bias was broadcast along.
                var dBias = bias is { RequiresGrad: true } ? ds.SumTo(bias.Shape) : null;
                return [q.RequiresGrad ? dq : null, k.RequiresGrad ? dk : null, v.RequiresGrad ? dvT : null, dBias];
            });
        }

        return o;
    }
}
