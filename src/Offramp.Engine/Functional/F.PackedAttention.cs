using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Multi-head scaled dot-product attention on heads packed along the feature axis of token-major tensors, as
    /// Linear layers produce them: the same function as timm's
    /// <c>qkv.reshape(B, L, 3, H, D).permute(2, 0, 3, 1, 4)</c> → <see cref="ScaledDotProductAttention"/> →
    /// <c>transpose(1, 2).reshape(B, L, H·D)</c>, without the permute and transpose copies: each head's kernel reads
    /// its rows in place (row stride = the tensor's width) and writes its columns of the output.
    /// </summary>
    /// <remarks>
    /// <para>Head h of the queries is <c>q[b, i, qOffset + h·D .. qOffset + (h+1)·D)</c>; likewise for keys and
    /// values. q, k and v may be one tensor (a packed qkv with offsets 0, H·D, 2·H·D) or two (a packed kv).</para>
    /// <para>Bias, dropout (the mask drawn in (b, h, i, j) order, as <see cref="ScaledDotProductAttention"/>) and the
    /// scale behave exactly as in <see cref="ScaledDotProductAttention"/>; the results are the same.</para>
    /// </remarks>
    /// <param name="q">Queries (B, Lq, Wq).</param>
    /// <param name="qOffset">First column of head 0 in <paramref name="q"/>.</param>
    /// <param name="k">Keys (B, Lk, Wk).</param>
    /// <param name="kOffset">First column of head 0 in <paramref name="k"/>.</param>
    /// <param name="v">Values (B, Lk, Wv).</param>
    /// <param name="vOffset">First column of head 0 in <paramref name="v"/>.</param>
    /// <param name="numHeads">Heads H.</param>
    /// <param name="headDim">Width D of one head (queries, keys and values).</param>
    /// <param name="attnBias">Added to the scores; broadcastable to (B, H, Lq, Lk), or null.</param>
    /// <param name="dropoutP">Dropout probability on the attention weights, in [0, 1].</param>
    /// <param name="rng">Source of the dropout mask; required when <paramref name="dropoutP"/> &gt; 0.</param>
    /// <param name="scale">Score scale; 1/√D when null.</param>
    /// <returns>(B, Lq, H·D), heads in order along the last axis.</returns>
    /// <exception cref="ArgumentException">Shapes, offsets or types disagree (the message names them), or dropout without an rng.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropoutP"/> is outside [0, 1].</exception>
    [Differentiable("packed_attention")]
    public static Tensor PackedAttention(Tensor q, int qOffset, Tensor k, int kOffset, Tensor v, int vOffset,
        int numHeads, int headDim, Tensor? attnBias = null, double dropoutP = 0.0, Rng? rng = null, double? scale = null)
    {
        string shapes = $"q {Shape.Format(q.Shape)} at {qOffset}, k {Shape.Format(k.Shape)} at {kOffset}, " +
            $"v {Shape.Format(v.Shape)} at {vOffset}, {numHeads} heads of {headDim}";
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3 || numHeads <= 0 || headDim <= 0)
        {
            throw new ArgumentException($"packed_attention: q, k, v must be (B, L, W) and heads, head_dim positive; got {shapes}");
        }

        int width = numHeads * headDim;
        bool fits = q.Shape[0] == k.Shape[0] && k.Shape[0] == v.Shape[0] && k.Shape[1] == v.Shape[1]
            && Fits(q, qOffset) && Fits(k, kOffset) && Fits(v, vOffset);
        if (!fits)
        {
            throw new ArgumentException(
                $"packed_attention: need q (B, Lq, ≥ offset + H·D), k and v (B, Lk, ≥ offset + H·D) with one B and Lk; got {shapes}");
        }

        q.CheckSameDType(k, "packed_attention");
        q.CheckSameDType(v, "packed_attention");
        int[] scoreShape = [q.Shape[0], numHeads, q.Shape[1], k.Shape[1]];
        var (biasStrides, mask) = AttentionBiasAndMask(q, attnBias, scoreShape, dropoutP, rng, "packed_attention", shapes);
        var geo = new PackedGeometry(q.Shape[0], numHeads, q.Shape[1], k.Shape[1], headDim,
            q.Shape[2], qOffset, k.Shape[2], kOffset, v.Shape[2], vOffset);
        double sc = scale ?? 1.0 / Math.Sqrt(headDim);
        return q.DType == DType.Float32
            ? PackedImpl<float>(q, k, v, attnBias, biasStrides, mask, geo, sc)
            : PackedImpl<double>(q, k, v, attnBias, biasStrides, mask, geo, sc);

        bool Fits(Tensor t, int offset) => offset >= 0 && offset + width <= t.Shape[2];
    }

    // Sizes and packing of one PackedAttention call: widths W* are the row strides, offsets the head-0 columns.
    private readonly record struct PackedGeometry(int B, int H, int Lq, int Lk, int D,
        int Wq, int Qo, int Wk, int Ko, int Wv, int Vo)
    {
        public int QAt(int b, int h) => b * Lq * Wq + Qo + h * D;

        public int KAt(int b, int h) => b * Lk * Wk + Ko + h * D;

        public int VAt(int b, int h) => b * Lk * Wv + Vo + h * D;

        public int OAt(int b, int h) => b * Lq * H * D + h * D;

        public int PAt(int bh) => bh * Lq * Lk;
    }

    private static Tensor PackedImpl<T>(Tensor q, Tensor k, Tensor v, Tensor? bias, int[] bs, Tensor? mask,
        PackedGeometry g, double scaleValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = g.H * g.D, lq = g.Lq, lk = g.Lk, d = g.D;
        var o = Tensor.Empty([g.B, lq, width], q.DType);

        // The softmax weights P are kept for the backward only when a graph is recorded; in inference each task
        // reuses one (Lq, Lk) scratch that stays in cache.
        bool record = Autograd.ShouldRecord(q, k, v, bias);
        var p = record ? Tensor.Empty([g.B, g.H, lq, lk], q.DType) : null;
        T scale = T.CreateChecked(scaleValue);
        long work = 4L * lq * lk * d;
        Rows.For(g.B * g.H, work, (b0, b1) =>
        {
            T[]? scratch = p is null ? System.Buffers.ArrayPool<T>.Shared.Rent(lq * lk) : null;
            for (int bh = b0; bh < b1; bh++)
            {
                int b = bh / g.H, h = bh % g.H;
                Kernels.Attention.Forward<T>(
                    q.Data<T>()[g.QAt(b, h)..], g.Wq, k.Data<T>()[g.KAt(b, h)..], g.Wk, v.Data<T>()[g.VAt(b, h)..], g.Wv,
                    bias is null ? [] : bias.Data<T>(), b * bs[0] + h * bs[1], bs[2], bs[3],
                    mask is null ? [] : mask.Data<T>().Slice(g.PAt(bh), lq * lk),
                    p is null ? scratch.AsSpan(0, lq * lk) : p.Data<T>().Slice(g.PAt(bh), lq * lk),
                    o.Data<T>()[g.OAt(b, h)..], width, lq, lk, d, d, scale);
            }

            if (scratch is not null)
            {
                System.Buffers.ArrayPool<T>.Shared.Return(scratch);
            }
        });

        if (record)
        {
            Autograd.Record(o, "packed_attention", [q, k, v, bias], dO =>
            {
                // One gradient buffer per distinct input; heads write disjoint columns of it. Zeros: columns outside
                // the heads get no gradient.
                var dq = Tensor.Zeros(q.Shape, q.DType);
                var dk = ReferenceEquals(k, q) ? dq : Tensor.Zeros(k.Shape, k.DType);
                var dv = ReferenceEquals(v, q) ? dq : ReferenceEquals(v, k) ? dk : Tensor.Zeros(v.Shape, v.DType);
                var ds = Tensor.Empty([g.B, g.H, lq, lk], q.DType);
                Rows.For(g.B * g.H, 2 * work, (b0, b1) =>
                {
                    for (int bh = b0; bh < b1; bh++)
                    {
                        int b = bh / g.H, h = bh % g.H;
                        Kernels.Attention.Backward<T>(
                            q.Data<T>()[g.QAt(b, h)..], g.Wq, k.Data<T>()[g.KAt(b, h)..], g.Wk,
                            v.Data<T>()[g.VAt(b, h)..], g.Wv, p!.Data<T>().Slice(g.PAt(bh), lq * lk),
                            mask is null ? [] : mask.Data<T>().Slice(g.PAt(bh), lq * lk), dO.Data<T>()[g.OAt(b, h)..], width,
                            dq.Data<T>()[g.QAt(b, h)..], g.Wq, dk.Data<T>()[g.KAt(b, h)..], g.Wk,
                            dv.Data<T>()[g.VAt(b, h)..], g.Wv, ds.Data<T>().Slice(g.PAt(bh), lq * lk), lq, lk, d, d, scale);
                    }
                });

                var dBias = bias is { RequiresGrad: true } ? ds.SumTo(bias.Shape) : null;
                return [
                    q.RequiresGrad ? dq : null,
                    k.RequiresGrad && !ReferenceEquals(k, q) ? dk : null,
                    v.RequiresGrad && !ReferenceEquals(v, q) && !ReferenceEquals(v, k) ? dv : null,
                    dBias];
            });
        }

        return o;
    }
}
