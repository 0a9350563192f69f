using System.Buffers;
using System.Runtime.CompilerServices;
using static Offramp.Engine.Kernels.SpanCast;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Scaled dot-product attention for one (batch, head) pair, forward and backward, fused: the two products of each
/// pass are GEMMs (<see cref="GemmDispatch"/>, single-threaded — the caller threads over heads) and the softmax
/// runs on the one (Lq, Lk) score matrix of this head in between. The softmax weights P are kept for the backward
/// instead of being recomputed. The float32 forward of heads whose widths are multiples of 16 (every transformer
/// here) runs <see cref="AttentionAvx512"/> instead, register-blocked without packing.
/// </summary>
/// <remarks>
/// Every operand has its own row stride (leading dimension), so a head can be read straight out of a token-major
/// layout — timm's packed qkv (B, L, 3, H, D) has row stride 3·H·D — and written into (B, L, H, D), with no
/// permute copies. P, the mask and dS are dense (Lq, Lk). Under dropout the masked weights P ⊙ mask need one
/// pooled (Lq, Lk) buffer; no other allocation. Naive twin: <c>Reference.AttentionReference</c>.
/// </remarks>
internal static class Attention
{
    // q: (Lq, D) rows ldq apart, k: (Lk, D) rows ldk apart, v: (Lk, Dv) rows ldv apart → p: (Lq, Lk) softmax
    // weights (dense), o: (Lq, Dv) rows ldo apart.
    // bias: element (i, j) at bias[biasOffset + i·biasRowStride + j·biasColStride] (strides 0 where broadcast);
    //   empty for no bias.
    // mask: (Lq, Lk) dropout factors (0 or 1/(1 − p)), or empty for no dropout.
    // S = q·kᵀ·scale + bias; P = softmax_rows(S); o = (P ⊙ mask)·v.
    public static void Forward<T>(ReadOnlySpan<T> q, int ldq, ReadOnlySpan<T> k, int ldk, ReadOnlySpan<T> v, int ldv,
        ReadOnlySpan<T> bias, int biasOffset, int biasRowStride, int biasColStride, ReadOnlySpan<T> mask,
        Span<T> p, Span<T> o, int ldo, int lq, int lk, int d, int dv, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && AttentionAvx512.Applies(d, dv))
        {
            AttentionAvx512.Forward(F32(q), ldq, F32(k), ldk, F32(v), ldv, F32(bias), biasOffset, biasRowStride,
                biasColStride, F32(mask), F32(p), F32(o), ldo, lq, lk, d, dv,
                Unsafe.As<T, float>(ref scale));
            return;
        }

        GemmDispatch.Gemm(false, true, lq, lk, d, scale, q, ldq, k, ldk, T.Zero, p, lk, parallel: false);
        for (int i = 0; i < lq; i++)
        {
            var pi = p.Slice(i * lk, lk);
            if (!bias.IsEmpty)
            {
                AddBiasRow(pi, bias, biasOffset + i * biasRowStride, biasColStride);
            }

            Softmax.Row<T>(pi, pi, log: false);
        }

        if (mask.IsEmpty)
        {
            GemmDispatch.Gemm(false, false, lq, dv, lk, T.One, p, lk, v, ldv, T.Zero, o, ldo, parallel: false);
            return;
        }

        T[] pm = ArrayPool<T>.Shared.Rent(lq * lk);
        TensorPrimitives.Multiply(p, mask, pm.AsSpan(0, lq * lk));
        GemmDispatch.Gemm(false, false, lq, dv, lk, T.One, pm, lk, v, ldv, T.Zero, o, ldo, parallel: false);
        ArrayPool<T>.Shared.Return(pm);
    }

    // Contiguous form: q (Lq, D), k (Lk, D), v (Lk, Dv), o (Lq, Dv) dense.
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<T> bias, int biasOffset, int biasRowStride, int biasColStride, ReadOnlySpan<T> mask,
        Span<T> p, Span<T> o, int lq, int lk, int d, int dv, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(q, d, k, d, v, dv, bias, biasOffset, biasRowStride, biasColStride, mask, p, o, dv, lq, lk, d, dv, scale);

    // Inputs as Forward (with p its output), dO: (Lq, Dv) rows lddo apart → dq: (Lq, D) rows lddq apart,
    // dk: (Lk, D) rows lddk apart, dv: (Lk, Dv) rows lddv apart (each overwritten), ds: (Lq, Lk) dense, the gradient
    // of the pre-softmax scores S. dq, dk and dv may be disjoint column ranges of one buffer.
    // With Pd = P ⊙ mask:
    //   dV = Pdᵀ·dO;  dP = (dO·Vᵀ) ⊙ mask;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = dS·K·scale;  dK = dSᵀ·Q·scale.
    public static void Backward<T>(ReadOnlySpan<T> q, int ldq, ReadOnlySpan<T> k, int ldk, ReadOnlySpan<T> v, int ldv,
        ReadOnlySpan<T> p, ReadOnlySpan<T> mask, ReadOnlySpan<T> dO, int lddo,
        Span<T> dq, int lddq, Span<T> dk, int lddk, Span<T> dv, int lddv, Span<T> ds,
        int lq, int lk, int d, int dvDim, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (mask.IsEmpty)
        {
            GemmDispatch.Gemm(true, false, lk, dvDim, lq, T.One, p, lk, dO, lddo, T.Zero, dv, lddv, parallel: false);
        }
        else
        {
            T[] pm = ArrayPool<T>.Shared.Rent(lq * lk);
            TensorPrimitives.Multiply(p, mask, pm.AsSpan(0, lq * lk));
            GemmDispatch.Gemm(true, false, lk, dvDim, lq, T.One, pm, lk, dO, lddo, T.Zero, dv, lddv, parallel: false);
            ArrayPool<T>.Shared.Return(pm);
        }

        GemmDispatch.Gemm(false, true, lq, lk, dvDim, T.One, dO, lddo, v, ldv, T.Zero, ds, lk, parallel: false);
        for (int i = 0; i < lq; i++)
        {
            var dsi = ds.Slice(i * lk, lk);
            var pi = p.Slice(i * lk, lk);
            if (!mask.IsEmpty)
            {
                TensorPrimitives.Multiply(dsi, mask.Slice(i * lk, lk), dsi);
            }

            Softmax.RowBackward<T>(pi, dsi, dsi, log: false);
        }

        GemmDispatch.Gemm(false, false, lq, d, lk, scale, ds, lk, k, ldk, T.Zero, dq, lddq, parallel: false);
        GemmDispatch.Gemm(true, false, lk, d, lq, scale, ds, lk, q, ldq, T.Zero, dk, lddk, parallel: false);
    }

    // Contiguous form of Backward: every operand dense.
    public static void Backward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> p,
        ReadOnlySpan<T> mask, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv, Span<T> ds,
        int lq, int lk, int d, int dvDim, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(q, d, k, d, v, dvDim, p, mask, dO, dvDim, dq, d, dk, d, dv, dvDim, ds, lq, lk, d, dvDim, scale);

    // pi += bias row (element j at bias[b0 + j·colStride]).
    internal static void AddBiasRow<T>(Span<T> pi, ReadOnlySpan<T> bias, int b0, int colStride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (colStride == 1)
        {
            TensorPrimitives.Add(pi, bias.Slice(b0, pi.Length), pi);
        }
        else if (colStride == 0)
        {
            TensorPrimitives.Add(pi, bias[b0], pi);
        }
        else
        {
            for (int j = 0; j < pi.Length; j++)
            {
                pi[j] += bias[b0 + j * colStride];
            }
        }
    }
}
