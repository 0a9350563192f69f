namespace Offramp.Engine.Kernels;

/// <summary>
/// Scaled dot-product attention for one (batch, head) pair, forward and backward, with the inner products as
/// plain span loops (one <c>TensorPrimitives.Dot</c> or <c>TensorPrimitives.MultiplyAdd</c> per row pair); a
/// GEMM-based version can replace them once a GEMM kernel exists, with this one as its test oracle. The softmax weights P are kept for the backward instead of being recomputed.
/// Naive twin: <c>Reference.AttentionReference</c>.
/// </summary>
internal static class Attention
{
    // q: (Lq, D), k: (Lk, D), v: (Lk, Dv) → p: (Lq, Lk) softmax weights, o: (Lq, Dv).
    // bias: element (i, j) at bias[biasOffset + i·biasRowStride + j·biasColStride] (strides 0 where broadcast);
    //   empty for no bias.
    // mask: (Lq, Lk) dropout factors (0 or 1/(1 − p)), or empty for no dropout.
    // S = q·kᵀ·scale + bias; P = softmax_rows(S); o = (P ⊙ mask)·v.
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<T> bias, int biasOffset, int biasRowStride, int biasColStride, ReadOnlySpan<T> mask,
        Span<T> p, Span<T> o, int lq, int lk, int d, int dv, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < lq; i++)
        {
            var qi = q.Slice(i * d, d);
            var pi = p.Slice(i * lk, lk);
            for (int j = 0; j < lk; j++)
            {
                pi[j] = TensorPrimitives.Dot(qi, k.Slice(j * d, d)) * scale;
            }

            if (!bias.IsEmpty)
            {
                int b0 = biasOffset + i * biasRowStride;
                if (biasColStride == 1)
                {
                    TensorPrimitives.Add(pi, bias.Slice(b0, lk), pi);
                }
                else if (biasColStride == 0)
                {
                    TensorPrimitives.Add(pi, bias[b0], pi);
                }
                else
                {
                    for (int j = 0; j < lk; j++)
                    {
                        pi[j] += bias[b0 + j * biasColStride];
                    }
                }
            }

            Softmax.Row<T>(pi, pi, log: false);
            var oi = o.Slice(i * dv, dv);
            oi.Clear();
            for (int j = 0; j < lk; j++)
            {
                T w = mask.IsEmpty ? pi[j] : pi[j] * mask[i * lk + j];
                TensorPrimitives.MultiplyAdd(v.Slice(j * dv, dv), w, oi, oi);
            }
        }
    }

    // q: (Lq, D), k: (Lk, D), v: (Lk, Dv), p: (Lq, Lk) from the forward, mask: (Lq, Lk) or empty, dO: (Lq, Dv)
    // → dq: (Lq, D), dk: (Lk, D), dv: (Lk, Dv), ds: (Lq, Lk) the gradient of the pre-softmax scores S.
    // With Pd = P ⊙ mask:
    //   dV = Pdᵀ·dO;  dP = (dO·Vᵀ) ⊙ mask;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = dS·K·scale;  dK = dSᵀ·Q·scale.
    public static void Backward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> p,
        ReadOnlySpan<T> mask, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv, Span<T> ds,
        int lq, int lk, int d, int dvDim, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        dq.Clear();
        dk.Clear();
        dv.Clear();
        for (int i = 0; i < lq; i++)
        {
            var doi = dO.Slice(i * dvDim, dvDim);
            var pi = p.Slice(i * lk, lk);
            var dsi = ds.Slice(i * lk, lk);
            for (int j = 0; j < lk; j++)
            {
                T m = mask.IsEmpty ? T.One : mask[i * lk + j];
                var dvj = dv.Slice(j * dvDim, dvDim);
                TensorPrimitives.MultiplyAdd(doi, pi[j] * m, dvj, dvj);
                dsi[j] = TensorPrimitives.Dot(doi, v.Slice(j * dvDim, dvDim)) * m;
            }

            T rowDot = TensorPrimitives.Dot<T>(dsi, pi);
            TensorPrimitives.Subtract(dsi, rowDot, dsi);
            TensorPrimitives.Multiply(dsi, pi, dsi);

            var qi = q.Slice(i * d, d);
            var dqi = dq.Slice(i * d, d);
            for (int j = 0; j < lk; j++)
            {
                T w = dsi[j] * scale;
                var dkj = dk.Slice(j * d, d);
                TensorPrimitives.MultiplyAdd(k.Slice(j * d, d), w, dqi, dqi);
                TensorPrimitives.MultiplyAdd(qi, w, dkj, dkj);
            }
        }
    }
}
