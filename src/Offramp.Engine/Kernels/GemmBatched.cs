namespace Offramp.Engine.Kernels;

internal static unsafe partial class Gemm
{
    // Strided batch: for i in [0, batch): C_i = alpha·op(A_i)·op(B_i) + beta·C_i with A_i = a[i·strideA ..],
    // B_i = b[i·strideB ..], C_i = c[i·strideC ..]. A stride of 0 reuses one operand for every item (broadcast);
    // C items must not overlap.
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, int strideA, ReadOnlySpan<float> b, int ldb, int strideB,
        float beta, Span<float> c, int ldc, int strideC, int batch)
    {
        var offA = new int[batch];
        var offB = new int[batch];
        var offC = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            offA[i] = checked(i * strideA);
            offB[i] = checked(i * strideB);
            offC[i] = checked(i * strideC);
        }

        SgemmBatched(transA, transB, m, n, k, alpha, a, lda, offA, b, ldb, offB, beta, c, ldc, offC);
    }

    // Batch with explicit element offsets per item (broadcast batch dims of torch.matmul): item i multiplies
    // the matrices at a[offA[i]..] and b[offB[i]..] into c[offC[i]..]. C items must not overlap.
    // Small items run one GEMM per task (each single-threaded); large ones run one after another, each threaded.
    // Both give the same bits.
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, int[] offA, ReadOnlySpan<float> b, int ldb, int[] offB,
        float beta, Span<float> c, int ldc, int[] offC)
    {
        int batch = offC.Length;
        if (offA.Length != batch || offB.Length != batch)
        {
            throw new ArgumentException($"gemm batched: {offA.Length}/{offB.Length}/{batch} offsets for A/B/C");
        }

        for (int i = 0; i < batch; i++)
        {
            CheckOperand("A", transA ? k : m, transA ? m : k, lda, a.Length - offA[i]);
            CheckOperand("B", transB ? n : k, transB ? k : n, ldb, b.Length - offB[i]);
            CheckOperand("C", m, n, ldc, c.Length - offC[i]);
        }

        if (m == 0 || n == 0 || batch == 0)
        {
            return;
        }

        var path = Current;
        long work = 2L * m * n * Math.Max(k, 1);
        bool perItem = batch > 1 && work < (1L << 22);
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (!perItem)
            {
                for (int i = 0; i < batch; i++)
                {
                    Run(path, transA, transB, m, n, k, alpha, pa + offA[i], lda, pb + offB[i], ldb, beta, pc + offC[i], ldc, true);
                }

                return;
            }

            nint xa = (nint)pa, xb = (nint)pb, xc = (nint)pc;
            Parallelism.For(batch, i => Run(path, transA, transB, m, n, k, alpha, (float*)xa + offA[i], lda,
                (float*)xb + offB[i], ldb, beta, (float*)xc + offC[i], ldc, false), work);
        }
    }
}
