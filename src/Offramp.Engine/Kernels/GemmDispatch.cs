using System.Runtime.CompilerServices;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Kernels;

/// <summary>
/// GEMM for generic code: float goes to the optimized <see cref="Gemm"/>, double to <see cref="GemmReference"/>
/// (the engine's float64 tensors exist for gradient checks, so their GEMM is the naive one).
/// </summary>
internal static class GemmDispatch
{
    // Same contract as Gemm.Sgemm / GemmReference.Gemm.
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc, bool parallel = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Kernels.Gemm.Sgemm(transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), SpanCast.F32(a), lda, SpanCast.F32(b), ldb,
                Unsafe.As<T, float>(ref beta), SpanCast.F32(c), ldc, parallel);
        }
        else
        {
            GemmReference.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    // Batched with per-item offsets; see Gemm.SgemmBatched.
    public static void GemmBatched<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, int[] offA, ReadOnlySpan<T> b, int ldb, int[] offB,
        T beta, Span<T> c, int ldc, int[] offC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Kernels.Gemm.SgemmBatched(transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), SpanCast.F32(a), lda, offA,
                SpanCast.F32(b), ldb, offB, Unsafe.As<T, float>(ref beta), SpanCast.F32(c), ldc, offC);
        }
        else
        {
            GemmReference.GemmBatched(transA, transB, m, n, k, alpha, a, lda, offA, b, ldb, offB, beta, c, ldc, offC);
        }
    }
}
