using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static Offramp.Engine.Kernels.SpanCast;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Layer and batch normalisation, forward and backward, vectorised along rows with <see cref="TensorPrimitives"/>.
/// Variances are two-pass (Σ(x − mean)², never Σx² − n·mean²) so large means do not cancel in float32.
/// float32 LayerNorm rows go to the fused <see cref="LayerNormSimd"/>, F.BatchNorm sends float32 on AVX-512
/// to <see cref="BatchNormSimd"/> (the code here is its form for float64 and other machines). Naive twin: <c>Reference.NormReference</c>.
/// </summary>
internal static class Norm
{
    // x, y: (M, D); w, b: (D) or empty (scale 1, shift 0); mean, rstd: (M) saved for backward.
    // y = (x − mean)·rstd·w + b with mean, biased variance over D and rstd = 1/√(var + eps) (PyTorch layer_norm).
    public static void LayerNormForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y,
        Span<T> mean, Span<T> rstd, int rows, int d, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            LayerNormSimd.Forward(F32(x), F32(w), F32(b), F32(y), F32(mean), F32(rstd), rows, d, float.CreateTruncating(eps),
                Elementwise.Best);
            return;
        }

        T n = T.CreateChecked(d);
        for (int m = 0; m < rows; m++)
        {
            var xr = x.Slice(m * d, d);
            var yr = y.Slice(m * d, d);
            T mu = TensorPrimitives.Sum(xr) / n;
            TensorPrimitives.Subtract(xr, mu, yr);
            T rs = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(yr) / n + eps);
            TensorPrimitives.Multiply(yr, rs, yr);
            if (!w.IsEmpty)
            {
                TensorPrimitives.Multiply(yr, w, yr);
            }

            if (!b.IsEmpty)
            {
                TensorPrimitives.Add(yr, b, yr);
            }

            mean[m] = mu;
            rstd[m] = rs;
        }
    }

    // dy, x, dx: (M, D); w: (D) or empty; mean, rstd: (M); scratch: ≥ D.
    // With x̂ = (x − mean)·rstd and dn = dy ⊙ w: dx = rstd·(dn − mean_D(dn) − x̂·mean_D(dn ⊙ x̂)).
    public static void LayerNormBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, int rows, int d, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            LayerNormSimd.Backward(F32(dy), F32(x), F32(w), F32(mean), F32(rstd), F32(dx), rows, d, Elementwise.Best);
            return;
        }

        T n = T.CreateChecked(d);
        var xhat = scratch[..d];
        for (int m = 0; m < rows; m++)
        {
            var dyr = dy.Slice(m * d, d);
            var dxr = dx.Slice(m * d, d);
            TensorPrimitives.Subtract(x.Slice(m * d, d), mean[m], xhat);
            TensorPrimitives.Multiply(xhat, rstd[m], xhat);
            if (w.IsEmpty)
            {
                dyr.CopyTo(dxr);
            }
            else
            {
                TensorPrimitives.Multiply(dyr, w, dxr);
            }

            T a = TensorPrimitives.Sum<T>(dxr) / n;
            T c = TensorPrimitives.Dot<T>(dxr, xhat) / n;
            TensorPrimitives.MultiplyAdd(xhat, -c, dxr, dxr);
            TensorPrimitives.Subtract(dxr, a, dxr);
            TensorPrimitives.Multiply(dxr, rstd[m], dxr);
        }
    }

    // dy, x: (M, D); mean, rstd: (M); dw, db: (D), accumulated in row order (empty to skip); scratch: ≥ D.
    // dw = Σ_M dy ⊙ x̂, db = Σ_M dy.
    public static void LayerNormParamBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, Span<T> dw, Span<T> db, int rows, int d, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            LayerNormSimd.ParamBackward(F32(dy), F32(x), F32(mean), F32(rstd), F32(dw), F32(db), rows, d, Elementwise.Best);
            return;
        }

        var xhat = scratch[..d];
        for (int m = 0; m < rows; m++)
        {
            var dyr = dy.Slice(m * d, d);
            if (!dw.IsEmpty)
            {
                TensorPrimitives.Subtract(x.Slice(m * d, d), mean[m], xhat);
                TensorPrimitives.Multiply(xhat, rstd[m], xhat);
                TensorPrimitives.MultiplyAdd(dyr, xhat, dw, dw);
            }

            if (!db.IsEmpty)
            {
                TensorPrimitives.Add(db, dyr, db);
            }
        }
    }

    /// <summary>
    /// Channel <paramref name="ch"/>'s BatchNorm operands for variance <paramref name="v"/>: 1/√(v + eps), the scale
    /// (that times the weight, if any) and the shift (the bias, or 0); y = ((x − mean)·scale) + shift. Shared with
    /// the fused inference convolution so both compute the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (T Rstd, T Scale, T Shift) ChannelAffine<T>(T v, T eps, ReadOnlySpan<T> w, ReadOnlySpan<T> b, int ch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T rs = T.One / T.Sqrt(v + eps);
        return (rs, w.IsEmpty ? rs : rs * w[ch], b.IsEmpty ? T.Zero : b[ch]);
    }

    // x, y: (N, C, S); w, b: (C) or empty; mean, var, rstd: (C); channels [c0, c1) only.
    // batchStats: mean and biased var over the N·S values of each channel are computed and written to mean, var;
    // otherwise mean, var are read (running statistics). y = (x − mean)·rstd·w + b, rstd = 1/√(var + eps).
    // Then y = relu?(y + residual?) (residual: (N, C, S) or empty; both optional), applied slice by slice in
    // the normalising pass: per element the roundings of the separate ops (·scale, +shift, +residual, max(·, 0)) in
    // their order, so the result is bit-identical to BatchNorm, Add and Relu run one after the other.
    public static void BatchNormForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y,
        Span<T> mean, Span<T> var, Span<T> rstd, int n, int c, int s, int c0, int c1, bool batchStats, T eps,
        ReadOnlySpan<T> residual, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool tail = relu || !residual.IsEmpty;
        T count = T.CreateChecked((long)n * s);
        for (int ch = c0; ch < c1; ch++)
        {
            T mu, v;
            if (batchStats)
            {
                T sum = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    sum += TensorPrimitives.Sum(x.Slice((i * c + ch) * s, s));
                }

                mu = sum / count;
                T sq = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    var yr = y.Slice((i * c + ch) * s, s);
                    TensorPrimitives.Subtract(x.Slice((i * c + ch) * s, s), mu, yr);
                    sq += TensorPrimitives.SumOfSquares<T>(yr);
                }

                v = sq / count;
                mean[ch] = mu;
                var[ch] = v;
            }
            else
            {
                mu = mean[ch];
                v = var[ch];
            }

            var (rs, scale, shift) = ChannelAffine(v, eps, w, b, ch);
            rstd[ch] = rs;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * s;
                var yr = y.Slice(off, s);
                if (!batchStats)
                {
                    TensorPrimitives.Subtract(x.Slice(off, s), mu, yr);
                }

                // yr holds x − mean.
                if (tail)
                {
                    AffineResidualRelu(yr, scale, shift, residual.IsEmpty ? [] : residual.Slice(off, s), relu);
                }
                else
                {
                    TensorPrimitives.Multiply(yr, scale, yr);
                    TensorPrimitives.Add(yr, shift, yr);
                }
            }
        }
    }

    // y = relu?((y·scale + shift) + r?) element by element, each op rounded on its own (no fused multiply-add), relu
    // as TensorPrimitives.Max(v, 0): +0 for v ≤ 0 (−0 included), NaN kept. Also the inference convolution's
    // BatchNorm epilogue (ConvEpilogue.Apply).
    internal static void AffineResidualRelu<T>(Span<T> y, T scale, T shift, ReadOnlySpan<T> r, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        bool res = !r.IsEmpty;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vs = Vector512.Create(scale);
            var vt = Vector512.Create(shift);
            ref T py = ref MemoryMarshal.GetReference(y);
            ref T pr = ref MemoryMarshal.GetReference(r);
            for (; i + Vector512<T>.Count <= y.Length; i += Vector512<T>.Count)
            {
                var v = (Vector512.LoadUnsafe(ref py, (nuint)i) * vs) + vt;
                if (res)
                {
                    v += Vector512.LoadUnsafe(ref pr, (nuint)i);
                }

                if (relu)
                {
                    v = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(v, Vector512<T>.Zero), Vector512<T>.Zero, v);
                }

                v.StoreUnsafe(ref py, (nuint)i);
            }
        }

        for (; i < y.Length; i++)
        {
            T v = (y[i] * scale) + shift;
            if (res)
            {
                v += r[i];
            }

            y[i] = relu && v <= T.Zero ? T.Zero : v;
        }
    }

    // dy, x, dx: (N, C, S); w: (C) or empty; mean, rstd: (C) as used in the forward; dw, db: (C) or empty to skip;
    // channels [c0, c1) only. With x̂ = (x − mean)·rstd and M = N·S:
    //   batchStats (gradient flows through the batch mean and variance):
    //     dx = w·rstd·(dy − mean_M(dy) − x̂·mean_M(dy ⊙ x̂))
    //   running stats (constants): dx = w·rstd·dy
    //   dw = Σ_M dy ⊙ x̂, db = Σ_M dy.
    public static void BatchNormBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dw, Span<T> db,
        int n, int c, int s, int c0, int c1, bool batchStats)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked((long)n * s);
        for (int ch = c0; ch < c1; ch++)
        {
            T mu = mean[ch], rs = rstd[ch];
            T sdy = T.Zero, sdyx = T.Zero;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * s;
                var xh = dx.Slice(off, s); // x̂ kept in dx until the final pass
                TensorPrimitives.Subtract(x.Slice(off, s), mu, xh);
                TensorPrimitives.Multiply(xh, rs, xh);
                sdy += TensorPrimitives.Sum(dy.Slice(off, s));
                sdyx += TensorPrimitives.Dot(dy.Slice(off, s), xh);
            }

            if (!dw.IsEmpty)
            {
                dw[ch] = sdyx;
            }

            if (!db.IsEmpty)
            {
                db[ch] = sdy;
            }

            T k = w.IsEmpty ? rs : rs * w[ch];
            T a = k * sdy / count, bc = k * sdyx / count;
            for (int i = 0; i < n; i++)
            {
                int off = (i * c + ch) * s;
                var dxr = dx.Slice(off, s);
                if (batchStats)
                {
                    TensorPrimitives.Multiply(dxr, -bc, dxr);
                    TensorPrimitives.MultiplyAdd(dy.Slice(off, s), k, dxr, dxr);
                    TensorPrimitives.Subtract(dxr, a, dxr);
                }
                else
                {
                    TensorPrimitives.Multiply(dy.Slice(off, s), k, dxr);
                }
            }
        }
    }
}
