namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// The naive twin of <see cref="Gemm"/>: a triple loop, generic over the element type. It is the test oracle of
/// every optimized path and the GEMM of float64 tensors.
/// </summary>
internal static class GemmReference
{
    // a: op(A) (m, k) stored (m, k) or, transposed, (k, m), row stride lda; b: op(B) (k, n) stored (k, n) or
    // (n, k), row stride ldb; c: (m, n), row stride ldc. C = alpha·op(A)·op(B) + beta·C, k summed in order.
    // beta == 0 overwrites C without reading it (BLAS).
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Kernels.Gemm.CheckOperand("A", transA ? k : m, transA ? m : k, lda, a.Length);
        Kernels.Gemm.CheckOperand("B", transB ? n : k, transB ? k : n, ldb, b.Length);
        Kernels.Gemm.CheckOperand("C", m, n, ldc, c.Length);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[(p * lda) + i] : a[(i * lda) + p];
                    T bv = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    sum += av * bv;
                }

                ref T cij = ref c[(i * ldc) + j];
                cij = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * cij);
            }
        }
    }

    // Batched twin of Gemm.SgemmBatched with explicit per-item offsets.
    public static void GemmBatched<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, int[] offA, ReadOnlySpan<T> b, int ldb, int[] offB,
        T beta, Span<T> c, int ldc, int[] offC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < offC.Length; i++)
        {
            Gemm(transA, transB, m, n, k, alpha, a[offA[i]..], lda, b[offB[i]..], ldb, beta, c[offC[i]..], ldc);
        }
    }
}
