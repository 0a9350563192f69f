using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Packing of GEMM operands into the panel layouts the micro-kernels stream (BLIS/GotoBLAS): A into MR-row
/// panels stored p-major (<c>panel[p·MR + r]</c>), B into NR-column panels stored p-major (<c>panel[p·NR + j]</c>).
/// Partial panels are zero-padded so every micro-kernel call computes a full tile.
/// </summary>
internal static unsafe partial class Gemm
{
    // op(A) block rows [i0, i0+mc), cols [p0, p0+kc) → dst: ceil(mc/mr) panels of (mr × kc), each scaled by alpha.
    // op(A)[i, p] = transA ? a[p·lda + i] : a[i·lda + p].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, float alpha, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + ((nint)ir * kc);
            if (!transA)
            {
                // Rows of A are contiguous over p: the panel is their transpose.
                TransposeBlock(a + ((nint)(i0 + ir) * lda) + p0, lda, rows, kc, d, mr, alpha);
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + ((nint)(p0 + p) * lda) + i0 + ir;
                    float* dp = d + (p * mr);
                    for (int r = 0; r < rows; r++)
                    {
                        dp[r] = alpha * src[r];
                    }
                }
            }

            if (rows < mr)
            {
                for (int p = 0; p < kc; p++)
                {
                    new Span<float>(d + (p * mr) + rows, mr - rows).Clear();
                }
            }
        }
    }

    // op(B) block rows [p0, p0+kc), panels [panel0, panel1) of nr columns starting at column j0 (nc columns in
    // the block) → dst + panel·nr·kc. op(B)[p, j] = transB ? b[j·ldb + p] : b[p·ldb + j].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int nr, int panel0, int panel1, float* dst)
    {
        for (int pn = panel0; pn < panel1; pn++)
        {
            int jr = pn * nr;
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + ((nint)jr * kc);
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + ((nint)(p0 + p) * ldb) + j0 + jr;
                    float* dp = d + (p * nr);
                    if (cols == nr)
                    {
                        Unsafe.CopyBlockUnaligned(dp, src, (uint)(nr * sizeof(float)));
                    }
                    else
                    {
                        Unsafe.CopyBlockUnaligned(dp, src, (uint)(cols * sizeof(float)));
                        new Span<float>(dp + cols, nr - cols).Clear();
                    }
                }
            }
            else
            {
                if (cols < nr)
                {
                    new Span<float>(d, nr * kc).Clear();
                }

                // Rows of the stored B (N × K) are contiguous over p: the panel is their transpose.
                TransposeBlock(b + ((nint)(j0 + jr) * ldb) + p0, ldb, cols, kc, d, nr, 1f);
            }
        }
    }

    // Thread-local, 64-byte-aligned packing buffers on the pinned object heap; grown on demand and reused, so a
    // GEMM allocates only the first time a thread needs a larger buffer.
    [ThreadStatic]
    private static float[]? t_packA;

    [ThreadStatic]
    private static float[]? t_packB;

    [ThreadStatic]
    private static float[]? t_tile;

    private static float* PackBufferA(int n) => Aligned(ref t_packA, n);

    private static float* PackBufferB(int n) => Aligned(ref t_packB, n);

    private static float* TileBuffer(int n) => Aligned(ref t_tile, n);

    private static float* Aligned(ref float[]? buffer, int n)
    {
        if (buffer is null || buffer.Length < n + 16)
        {
            buffer = GC.AllocateUninitializedArray<float>(n + 16, pinned: true);
        }

        return AlignedStart((float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)));
    }
}
