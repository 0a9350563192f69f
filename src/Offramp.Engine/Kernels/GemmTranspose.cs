using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

internal static unsafe partial class Gemm
{
    // src: (rows × cols), row stride lds → dst: (cols × rows), row stride ldd; dst[j·ldd + i] = alpha·src[i·lds + j].
    // The packing of a row-major A and of a transposed B are both this transpose. Tiles of 8 × 8 (Vector256
    // unpack/shuffle/permute), then 4 × 4 (Vector128), then scalar edges.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TransposeBlock(float* src, nint lds, int rows, int cols, float* dst, nint ldd, float alpha)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            for (; i + 8 <= rows; i += 8)
            {
                int j = 0;
                for (; j + 8 <= cols; j += 8)
                {
                    Transpose8x8(src + (i * lds) + j, lds, dst + (j * ldd) + i, ldd, alpha);
                }

                TransposeScalar(src + (i * lds) + j, lds, 8, cols - j, dst + (j * ldd) + i, ldd, alpha);
            }
        }

        if (Sse.IsSupported)
        {
            for (; i + 4 <= rows; i += 4)
            {
                int j = 0;
                for (; j + 4 <= cols; j += 4)
                {
                    Transpose4x4(src + (i * lds) + j, lds, dst + (j * ldd) + i, ldd, alpha);
                }

                TransposeScalar(src + (i * lds) + j, lds, 4, cols - j, dst + (j * ldd) + i, ldd, alpha);
            }
        }

        TransposeScalar(src + (i * lds), lds, rows - i, cols, dst + i, ldd, alpha);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeScalar(float* src, nint lds, int rows, int cols, float* dst, nint ldd, float alpha)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                dst[(j * ldd) + i] = alpha * src[(i * lds) + j];
            }
        }
    }

    // Lane layout: rows r0..r7 of src become columns; after unpack (pairs), shuffle (quads) and 128-bit permutes
    // (halves), o_k holds column k of the 8 × 8 tile.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint lds, float* d, nint ldd, float alpha)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + (2 * lds));
        var r3 = Avx.LoadVector256(s + (3 * lds));
        var r4 = Avx.LoadVector256(s + (4 * lds));
        var r5 = Avx.LoadVector256(s + (5 * lds));
        var r6 = Avx.LoadVector256(s + (6 * lds));
        var r7 = Avx.LoadVector256(s + (7 * lds));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        var a = Vector256.Create(alpha);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20) * a);
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20) * a);
        Avx.Store(d + (2 * ldd), Avx.Permute2x128(u2, u6, 0x20) * a);
        Avx.Store(d + (3 * ldd), Avx.Permute2x128(u3, u7, 0x20) * a);
        Avx.Store(d + (4 * ldd), Avx.Permute2x128(u0, u4, 0x31) * a);
        Avx.Store(d + (5 * ldd), Avx.Permute2x128(u1, u5, 0x31) * a);
        Avx.Store(d + (6 * ldd), Avx.Permute2x128(u2, u6, 0x31) * a);
        Avx.Store(d + (7 * ldd), Avx.Permute2x128(u3, u7, 0x31) * a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* s, nint lds, float* d, nint ldd, float alpha)
    {
        var r0 = Sse.LoadVector128(s);
        var r1 = Sse.LoadVector128(s + lds);
        var r2 = Sse.LoadVector128(s + (2 * lds));
        var r3 = Sse.LoadVector128(s + (3 * lds));
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1);
        var t3 = Sse.UnpackHigh(r2, r3);
        var a = Vector128.Create(alpha);
        Sse.Store(d, Sse.MoveLowToHigh(t0, t1) * a);
        Sse.Store(d + ldd, Sse.MoveHighToLow(t1, t0) * a);
        Sse.Store(d + (2 * ldd), Sse.MoveLowToHigh(t2, t3) * a);
        Sse.Store(d + (3 * ldd), Sse.MoveHighToLow(t3, t2) * a);
    }
}
