using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Fused float32 LayerNorm rows: the forward in three sweeps of a row (sum; Σ(x − mean)²; y = x̂·w + b), the input
/// gradient in two (Σdn, Σdn·x̂; dx), the parameter gradients in one, with x̂ = (x − mean)·rstd recomputed on the fly
/// instead of the six to eight TensorPrimitives calls per row of <see cref="Norm"/>'s generic form — for the short
/// rows of transformers (D = 128…768) the per-call overhead and the extra sweeps dominated.
/// </summary>
/// <remarks>
/// Lane layout: element j of a row is lane j mod 16 of Vector512 block j / 16; sums keep 16 lane partials, folded
/// with <see cref="Vector512.Sum{T}(Vector512{T})"/> then the scalar tail (the last D mod 16 elements) added in
/// order. <see cref="SimdWidth.Scalar"/> (or no Vector512 hardware) runs every element through the tail loop —
/// the same formulas, so tests can force it. Variances stay two-pass (no Σx² − n·mean² cancellation).
/// </remarks>
internal static class LayerNormSimd
{
    private static int Lanes(SimdWidth width) =>
        width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated ? Vector512<float>.Count : int.MaxValue;

    // x, y: (M, D); w, b: (D) or empty; mean, rstd: (M). Same contract as Norm.LayerNormForward.
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int d, float eps, SimdWidth width)
    {
        int lanes = Lanes(width);
        int vec = d >= lanes ? d - (d % lanes) : 0;
        for (int m = 0; m < rows; m++)
        {
            ref float xr = ref MemoryMarshal.GetReference(x.Slice(m * d, d));
            ref float yr = ref MemoryMarshal.GetReference(y.Slice(m * d, d));
            var acc = Vector512<float>.Zero;
            for (int j = 0; j < vec; j += 16)
            {
                acc += Vector512.LoadUnsafe(ref xr, (nuint)j);
            }

            float sum = Vector512.Sum(acc);
            for (int j = vec; j < d; j++)
            {
                sum += Unsafe.Add(ref xr, j);
            }

            float mu = sum / d;
            var vmu = Vector512.Create(mu);
            acc = Vector512<float>.Zero;
            for (int j = 0; j < vec; j += 16)
            {
                var c = Vector512.LoadUnsafe(ref xr, (nuint)j) - vmu;
                acc = Vector512.FusedMultiplyAdd(c, c, acc);
            }

            float ss = Vector512.Sum(acc);
            for (int j = vec; j < d; j++)
            {
                float c = Unsafe.Add(ref xr, j) - mu;
                ss = MathF.FusedMultiplyAdd(c, c, ss);
            }

            float rs = 1f / MathF.Sqrt((ss / d) + eps);
            var vrs = Vector512.Create(rs);
            bool affine = !w.IsEmpty, shift = !b.IsEmpty;
            ref float wr = ref MemoryMarshal.GetReference(w);
            ref float br = ref MemoryMarshal.GetReference(b);
            for (int j = 0; j < vec; j += 16)
            {
                var v = (Vector512.LoadUnsafe(ref xr, (nuint)j) - vmu) * vrs;
                v = affine ? v * Vector512.LoadUnsafe(ref wr, (nuint)j) : v;
                v = shift ? v + Vector512.LoadUnsafe(ref br, (nuint)j) : v;
                v.StoreUnsafe(ref yr, (nuint)j);
            }

            for (int j = vec; j < d; j++)
            {
                float v = (Unsafe.Add(ref xr, j) - mu) * rs;
                v = affine ? v * Unsafe.Add(ref wr, j) : v;
                Unsafe.Add(ref yr, j) = shift ? v + Unsafe.Add(ref br, j) : v;
            }

            mean[m] = mu;
            rstd[m] = rs;
        }
    }

    // dy, x, dx: (M, D); w: (D) or empty; mean, rstd: (M). Same contract as Norm.LayerNormBackward:
    // dn = dy ⊙ w, dx = rstd·(dn − mean_D(dn) − x̂·mean_D(dn ⊙ x̂)).
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx, int rows, int d, SimdWidth width)
    {
        int lanes = Lanes(width);
        int vec = d >= lanes ? d - (d % lanes) : 0;
        bool affine = !w.IsEmpty;
        ref float wr = ref MemoryMarshal.GetReference(w);
        for (int m = 0; m < rows; m++)
        {
            ref float xr = ref MemoryMarshal.GetReference(x.Slice(m * d, d));
            ref float gr = ref MemoryMarshal.GetReference(dy.Slice(m * d, d));
            ref float dr = ref MemoryMarshal.GetReference(dx.Slice(m * d, d));
            float mu = mean[m], rs = rstd[m];
            Vector512<float> vmu = Vector512.Create(mu), vrs = Vector512.Create(rs);
            Vector512<float> accA = Vector512<float>.Zero, accC = Vector512<float>.Zero;
            for (int j = 0; j < vec; j += 16)
            {
                var dn = Vector512.LoadUnsafe(ref gr, (nuint)j);
                dn = affine ? dn * Vector512.LoadUnsafe(ref wr, (nuint)j) : dn;
                var xh = (Vector512.LoadUnsafe(ref xr, (nuint)j) - vmu) * vrs;
                accA += dn;
                accC = Vector512.FusedMultiplyAdd(dn, xh, accC);
            }

            float sa = Vector512.Sum(accA), sc = Vector512.Sum(accC);
            for (int j = vec; j < d; j++)
            {
                float dn = affine ? Unsafe.Add(ref gr, j) * Unsafe.Add(ref wr, j) : Unsafe.Add(ref gr, j);
                float xh = (Unsafe.Add(ref xr, j) - mu) * rs;
                sa += dn;
                sc = MathF.FusedMultiplyAdd(dn, xh, sc);
            }

            float a = sa / d, c = sc / d;
            Vector512<float> va = Vector512.Create(a), vc = Vector512.Create(c);
            for (int j = 0; j < vec; j += 16)
            {
                var dn = Vector512.LoadUnsafe(ref gr, (nuint)j);
                dn = affine ? dn * Vector512.LoadUnsafe(ref wr, (nuint)j) : dn;
                var xh = (Vector512.LoadUnsafe(ref xr, (nuint)j) - vmu) * vrs;
                ((dn - va - (xh * vc)) * vrs).StoreUnsafe(ref dr, (nuint)j);
            }

            for (int j = vec; j < d; j++)
            {
                float dn = affine ? Unsafe.Add(ref gr, j) * Unsafe.Add(ref wr, j) : Unsafe.Add(ref gr, j);
                float xh = (Unsafe.Add(ref xr, j) - mu) * rs;
                Unsafe.Add(ref dr, j) = (dn - a - (xh * c)) * rs;
            }
        }
    }

    // dy, x: (M, D); mean, rstd: (M); dw, db: (D) accumulated in row order (empty to skip), one sweep per row.
    public static void ParamBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, Span<float> dw, Span<float> db, int rows, int d, SimdWidth width)
    {
        int lanes = Lanes(width);
        int vec = d >= lanes ? d - (d % lanes) : 0;
        bool wantW = !dw.IsEmpty, wantB = !db.IsEmpty;
        ref float wr = ref MemoryMarshal.GetReference(dw);
        ref float br = ref MemoryMarshal.GetReference(db);
        for (int m = 0; m < rows; m++)
        {
            ref float xr = ref MemoryMarshal.GetReference(x.Slice(m * d, d));
            ref float gr = ref MemoryMarshal.GetReference(dy.Slice(m * d, d));
            float mu = mean[m], rs = rstd[m];
            Vector512<float> vmu = Vector512.Create(mu), vrs = Vector512.Create(rs);
            for (int j = 0; j < vec; j += 16)
            {
                var g = Vector512.LoadUnsafe(ref gr, (nuint)j);
                if (wantW)
                {
                    var xh = (Vector512.LoadUnsafe(ref xr, (nuint)j) - vmu) * vrs;
                    Vector512.FusedMultiplyAdd(g, xh, Vector512.LoadUnsafe(ref wr, (nuint)j)).StoreUnsafe(ref wr, (nuint)j);
                }

                if (wantB)
                {
                    (Vector512.LoadUnsafe(ref br, (nuint)j) + g).StoreUnsafe(ref br, (nuint)j);
                }
            }

            for (int j = vec; j < d; j++)
            {
                float g = Unsafe.Add(ref gr, j);
                if (wantW)
                {
                    Unsafe.Add(ref wr, j) = MathF.FusedMultiplyAdd(g, (Unsafe.Add(ref xr, j) - mu) * rs, Unsafe.Add(ref wr, j));
                }

                if (wantB)
                {
                    Unsafe.Add(ref br, j) += g;
                }
            }
        }
    }
}
