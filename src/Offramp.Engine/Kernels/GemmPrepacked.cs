using System.Runtime.CompilerServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Fills the NR-column panels of op(B) rows [p0, p0 + kc) for the caller's column range at <c>dst</c>, in the
/// layout <see cref="Gemm"/>'s micro-kernels stream (<c>dst[panel·NR·kc + p·NR + j]</c>, partial panels
/// zero-padded). Convolution uses it to write im2col straight into packed panels.
/// </summary>
internal unsafe delegate void PanelPacker(int p0, int kc, float* dst);

/// <summary>
/// GEMM with a pre-packed A (BLIS's "packed operand" interface): a weight matrix that multiplies many B's (one per
/// image, one per column chunk) is packed once per call instead of once per product, and B's panels come from a
/// caller's <see cref="PanelPacker"/> (im2col written straight into panel layout) rather than from a stored
/// matrix.
/// </summary>
/// <remarks>
/// The k blocking (<see cref="KStep"/>), micro-kernels and beta handling are <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, bool)"/>'s,
/// so every element of C is the same sum in the same order: the results are bit-identical to Sgemm on the same
/// operands, whatever rows and columns a caller's task covers.
/// </remarks>
internal static unsafe partial class Gemm
{
    /// <summary>Depth of each k block for a reduction of depth <paramref name="k"/> (the blocking of Sgemm).</summary>
    internal static int KStep(int k) => Math.Min(KC, RoundUp(CeilDiv(k, CeilDiv(k, KC)), 8));

    /// <summary>Floats <see cref="PackAAll"/> writes for an (m × k) op(A) on <paramref name="path"/>.</summary>
    internal static int PackedASize(GemmPath path, int m, int k) => RoundUp(m, KernelFor(path).MR) * k;

    /// <summary>Panel width (NR) of <paramref name="path"/>'s micro-kernel.</summary>
    internal static int PanelWidth(GemmPath path) => KernelFor(path).NR;

    /// <summary>Panel height (MR) of <paramref name="path"/>'s micro-kernel.</summary>
    internal static int PanelHeight(GemmPath path) => KernelFor(path).MR;

    // op(A) (m × k), op(A)[i, p] = transA ? a[p·lda + i] : a[i·lda + p] → dst: for each k block [p0, p0 + kc) of
    // KStep(k), at dst + p0·RoundUp(m, MR), ceil(m / MR) panels of (MR × kc), scaled by alpha. dst holds
    // PackedASize(path, m, k) floats.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackAAll(GemmPath path, bool transA, float* a, int lda, int m, int k, float alpha, float* dst)
    {
        int mr = KernelFor(path).MR, mPad = RoundUp(m, mr), kStep = KStep(k);
        for (int p0 = 0; p0 < k; p0 += kStep)
        {
            PackA(transA, a, lda, 0, m, p0, Math.Min(kStep, k - p0), alpha, mr, dst + ((nint)p0 * mPad));
        }
    }

    // Rows [i0, i0 + rows) of C = A·B + beta·C, single-threaded. packedA: PackAAll of the whole (mTotal × k) A;
    // B: (k × n) whose panels packB writes k block by k block; c points at C's row i0 (ldc ≥ n). i0 must be a
    // multiple of MC or of MR·⌈…⌉ as any task split by MR-multiples is (it indexes whole panels).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyPackedA(GemmPath path, float* packedA, int mTotal, int i0, int rows, int n, int k,
        PanelPacker packB, float beta, float* c, int ldc)
    {
        var kern = KernelFor(path);
        int mr = kern.MR, nr = kern.NR;
        Debug.Assert(i0 % mr == 0 && i0 + rows <= mTotal);
        if (rows == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            ScaleC(c, rows, n, ldc, beta);
            return;
        }

        int mPad = RoundUp(mTotal, mr), kStep = KStep(k);
        float* bbuf = PackBufferB(kStep * RoundUp(n, nr));
        for (int p0 = 0; p0 < k; p0 += kStep)
        {
            int kc = Math.Min(kStep, k - p0);
            packB(p0, kc, bbuf);
            bool overwrite = p0 == 0 && beta == 0;
            float betaEff = p0 == 0 ? beta : 1f;
            float* block = packedA + ((nint)p0 * mPad);
            for (int r0 = 0; r0 < rows; r0 += MC)
            {
                Macro(kern, block + ((nint)(i0 + r0) * kc), bbuf, Math.Min(MC, rows - r0), n, kc,
                    c + ((nint)r0 * ldc), ldc, betaEff, overwrite);
            }
        }
    }

    // C (rows × n, ldc) = rows [i0, i0 + rows) of a PackAAll'd (mTotal × k) A times a (k × n) B packed in PackBAll's
    // block layout (k block p0 at packedB + p0·n), overwritten, single-threaded. rows and n are multiples of MR and NR,
    // i0 of MR, i0 + rows ≤ RoundUp(mTotal, MR): every tile is a full micro-kernel tile (A's padding rows are zeros,
    // so C's padding rows are too). The same k blocks, from +0, as every other product here.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyPackedFull(GemmPath path, float* packedA, int mTotal, int i0, int rows, int n, int k,
        float* packedB, float* c, int ldc)
    {
        var kern = KernelFor(path);
        int mPad = RoundUp(mTotal, kern.MR), kStep = KStep(k);
        Debug.Assert(rows % kern.MR == 0 && n % kern.NR == 0 && i0 % kern.MR == 0 && i0 + rows <= mPad);
        for (int p0 = 0; p0 < k; p0 += kStep)
        {
            int kc = Math.Min(kStep, k - p0);
            float* block = packedA + ((nint)p0 * mPad);
            for (int r0 = 0; r0 < rows; r0 += MC)
            {
                Macro(kern, block + ((nint)(i0 + r0) * kc), packedB + ((nint)p0 * n), Math.Min(MC, rows - r0), n, kc,
                    c + ((nint)r0 * ldc), ldc, p0 == 0 ? 0f : 1f, p0 == 0);
            }
        }
    }

    /// <summary>This thread's A packing buffer (for a caller packing an operand outside Sgemm), n floats, aligned.</summary>
    internal static float* ScratchA(int n) => PackBufferA(n);

    // A packer for a stored op(B): columns [j0, j0 + n) of op(B)[p, j] = transB ? b[j·ldb + p] : b[p·ldb + j].
    internal static PanelPacker StoredPanels(GemmPath path, bool transB, float* b, int ldb, int j0, int n)
    {
        int nr = KernelFor(path).NR;
        nint pb = (nint)b;
        return (p0, kc, dst) => PackB(transB, (float*)pb, ldb, p0, kc, j0, n, nr, 0, CeilDiv(n, nr), dst);
    }
}
