using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// GEMM micro-kernels: each computes one full MR × NR tile of C from a packed A panel and a packed B panel,
/// summing k in order 0..kc−1 (the fixed summation order that makes results thread-count independent).
/// </summary>
/// <remarks>
/// Write-back: <c>overwrite</c> → C = acc; otherwise C = acc + beta·C (beta is 1 for every k block after the
/// first). Alpha was folded into the packed A. Edge tiles are computed full-size into a scratch tile (the packed
/// panels are zero-padded) and then copied by <see cref="StoreEdge"/>.
/// </remarks>
internal static unsafe partial class Gemm
{
    /// <summary>One micro-kernel and its tile shape.</summary>
    internal readonly struct MicroKernel(int mr, int nr, delegate*<int, float*, float*, float*, int, float, bool, void> fn)
    {
        public int MR { get; } = mr;

        public int NR { get; } = nr;

        public delegate*<int, float*, float*, float*, int, float, bool, void> Fn { get; } = fn;
    }

    internal static MicroKernel KernelFor(GemmPath path) => path switch
    {
        GemmPath.Avx512 => new MicroKernel(12, 32, &Kernel12x32Avx512),
        GemmPath.Avx2 => new MicroKernel(6, 16, &Kernel6x16Avx2),
        _ => new MicroKernel(4, 4, &Kernel4x4Scalar),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> lo, Vector512<float> hi, float beta, bool overwrite)
    {
        if (!overwrite)
        {
            var bv = Vector512.Create(beta);
            lo = Avx512F.FusedMultiplyAdd(Vector512.Load(c), bv, lo);
            hi = Avx512F.FusedMultiplyAdd(Vector512.Load(c + 16), bv, hi);
        }

        lo.Store(c);
        hi.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> lo, Vector256<float> hi, float beta, bool overwrite)
    {
        if (!overwrite)
        {
            var bv = Vector256.Create(beta);
            lo = Fma.MultiplyAdd(Vector256.Load(c), bv, lo);
            hi = Fma.MultiplyAdd(Vector256.Load(c + 8), bv, hi);
        }

        lo.Store(c);
        hi.Store(c + 8);
    }

    // Copies the top-left (rows × cols) of a scratch tile (row stride nr) into C with the same write-back rule.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge(float* tile, int nr, int rows, int cols, float* c, int ldc, float beta, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* t = tile + (r * nr);
            float* cr = c + (r * (nint)ldc);
            for (int j = 0; j < cols; j++)
            {
                cr[j] = overwrite ? t[j] : t[j] + (beta * cr[j]);
            }
        }
    }

    // a: packed (4 × kc), b: packed (kc × 4). Plain scalar arithmetic (multiply, then add): the portable fallback.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x4Scalar(int kc, float* a, float* b, float* c, int ldc, float beta, bool overwrite)
    {
        float* acc = stackalloc float[16];
        new Span<float>(acc, 16).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r];
                acc[(r * 4) + 0] += ar * b[0];
                acc[(r * 4) + 1] += ar * b[1];
                acc[(r * 4) + 2] += ar * b[2];
                acc[(r * 4) + 3] += ar * b[3];
            }

            a += 4;
            b += 4;
        }

        StoreEdge(acc, 4, 4, 4, c, ldc, beta, overwrite);
    }

    // a: packed (12 × kc) panel, p-major: a[p·12 + r]; b: packed (kc × 32) panel, b[p·32 + j]; c: row-major, ldc.
    // Lane layout: row r of the tile lives in two Vector512 accumulators (cr0 = columns 0..15, cr1 = 16..31).
    // Each k step loads two B vectors and broadcasts one A scalar per row: 24 FMAs on 27 zmm registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32Avx512(int kc, float* a, float* b, float* c, int ldc, float beta, bool overwrite)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            var a8 = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81);
            var a9 = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91);
            var a10 = Vector512.Create(a[10]);
            c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100);
            c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101);
            var a11 = Vector512.Create(a[11]);
            c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110);
            c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111);
            a += 12;
            b += 32;
        }

        Store512(c + (0 * (nint)ldc), c00, c01, beta, overwrite);
        Store512(c + (1 * (nint)ldc), c10, c11, beta, overwrite);
        Store512(c + (2 * (nint)ldc), c20, c21, beta, overwrite);
        Store512(c + (3 * (nint)ldc), c30, c31, beta, overwrite);
        Store512(c + (4 * (nint)ldc), c40, c41, beta, overwrite);
        Store512(c + (5 * (nint)ldc), c50, c51, beta, overwrite);
        Store512(c + (6 * (nint)ldc), c60, c61, beta, overwrite);
        Store512(c + (7 * (nint)ldc), c70, c71, beta, overwrite);
        Store512(c + (8 * (nint)ldc), c80, c81, beta, overwrite);
        Store512(c + (9 * (nint)ldc), c90, c91, beta, overwrite);
        Store512(c + (10 * (nint)ldc), c100, c101, beta, overwrite);
        Store512(c + (11 * (nint)ldc), c110, c111, beta, overwrite);
    }

    // a: packed (6 × kc) panel; b: packed (kc × 16) panel; row r of the tile in cr0 (cols 0..7), cr1 (8..15).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Avx2(int kc, float* a, float* b, float* c, int ldc, float beta, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(a0, b0, c00);
            c01 = Fma.MultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(a1, b0, c10);
            c11 = Fma.MultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(a2, b0, c20);
            c21 = Fma.MultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(a3, b0, c30);
            c31 = Fma.MultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(a4, b0, c40);
            c41 = Fma.MultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(a5, b0, c50);
            c51 = Fma.MultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }

        Store256(c + (0 * (nint)ldc), c00, c01, beta, overwrite);
        Store256(c + (1 * (nint)ldc), c10, c11, beta, overwrite);
        Store256(c + (2 * (nint)ldc), c20, c21, beta, overwrite);
        Store256(c + (3 * (nint)ldc), c30, c31, beta, overwrite);
        Store256(c + (4 * (nint)ldc), c40, c41, beta, overwrite);
        Store256(c + (5 * (nint)ldc), c50, c51, beta, overwrite);
    }
}
