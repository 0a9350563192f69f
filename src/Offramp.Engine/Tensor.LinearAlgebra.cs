using Offramp.Engine.Kernels;

namespace Offramp.Engine;

/// <summary>Matrix products.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with <c>torch.matmul</c> semantics: 1-D · 1-D is a dot product (rank 0); 2-D · 2-D a matrix
    /// product; a 1-D left operand is treated as a row (1, K) and a 1-D right operand as a column (K, 1), the
    /// added dimension being removed from the result; with more dimensions, the leading (batch) dims broadcast.
    /// (…, M, K) @ (…, K, N) → (broadcast(…), M, N).
    /// </summary>
    /// <remarks>Float32 runs the blocked <see cref="Gemm"/>; float64 the naive reference. Backward uses GEMM
    /// transposition flags: dA = dC·Bᵀ, dB = Aᵀ·dC, summed over batch dims that were broadcast.</remarks>
    /// <exception cref="ArgumentException">A rank-0 operand, mismatched inner dimensions, or batch dims that do not
    /// broadcast; the message names both shapes.</exception>
    [Differentiable("matmul")]
    public Tensor MatMul(Tensor other)
    {
        CheckSameDType(other, "matmul");
        var p = MatMulPlan.Create(Shape, other.Shape);
        var r = Empty(p.OutShape, DType);
        if (p.Fold)
        {
            // B has no batch: one GEMM with the batch folded into M (C (B·M × N) = A (B·M × K) · B (K × N)).
            Gemm(this, false, other, false, r, p.BatchCount * p.M, p.N, p.K, p.K, p.N, [0], [0]);
        }
        else
        {
            Gemm(this, false, other, false, r, p.M, p.N, p.K, p.K, p.N, p.OffA, p.OffB);
        }

        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "matmul", [a, b], g => [
                a.RequiresGrad ? MatMulGradA(g, b, p).Reshape(a.Shape) : null,
                b.RequiresGrad ? MatMulGradB(a, g, p).Reshape(b.Shape) : null]);
        }

        return r;
    }

    // dA (batch…, M, K) = dC · Bᵀ, then summed over A's broadcast batch dims.
    private static Tensor MatMulGradA(Tensor g, Tensor b, MatMulPlan p)
    {
        if (p.Fold)
        {
            var d = Empty([p.BatchCount * p.M, p.K], g.DType);
            Gemm(g, false, b, true, d, p.BatchCount * p.M, p.K, p.N, p.N, p.N, [0], [0]);
            return d;
        }

        var full = Empty([.. p.Batch, p.M, p.K], g.DType);
        Gemm(g, false, b, true, full, p.M, p.K, p.N, p.N, p.N, p.OffC, p.OffB);
        return full.SumTo([.. p.BatchA, p.M, p.K]);
    }

    // dB (batch…, K, N) = Aᵀ · dC, then summed over B's broadcast batch dims.
    private static Tensor MatMulGradB(Tensor a, Tensor g, MatMulPlan p)
    {
        if (p.Fold)
        {
            var d = Empty([p.K, p.N], g.DType);
            Gemm(a, true, g, false, d, p.K, p.N, p.BatchCount * p.M, p.K, p.N, [0], [0]);
            return d;
        }

        var full = Empty([.. p.Batch, p.K, p.N], g.DType);
        Gemm(a, true, g, false, full, p.K, p.N, p.M, p.K, p.N, p.OffA, p.OffC);
        return full.SumTo([.. p.BatchB, p.K, p.N]);
    }

    // c item i (contiguous, m × n) = op(A at offA[i]) · op(B at offB[i]); lda/ldb are the stored row lengths.
    private static void Gemm(Tensor a, bool ta, Tensor b, bool tb, Tensor c, int m, int n, int k, int lda, int ldb, int[] offA, int[] offB)
    {
        var offC = new int[offA.Length];
        for (int i = 0; i < offC.Length; i++)
        {
            offC[i] = i * m * n;
        }

        if (a.DType == DType.Float32)
        {
            GemmDispatch.GemmBatched(ta, tb, m, n, k, 1f, a.Span, lda, offA, b.Span, ldb, offB, 0f, c.Span, n, offC);
        }
        else
        {
            GemmDispatch.GemmBatched(ta, tb, m, n, k, 1.0, a.Data<double>(), lda, offA, b.Data<double>(), ldb, offB, 0.0,
                c.Data<double>(), n, offC);
        }
    }

    /// <summary>The shapes and per-batch-item offsets of one <see cref="MatMul"/>.</summary>
    private sealed record MatMulPlan(int[] OutShape, int[] Batch, int[] BatchA, int[] BatchB, int M, int N, int K,
        int[] OffA, int[] OffB, int[] OffC, bool Fold)
    {
        public int BatchCount => OffC.Length;

        public static MatMulPlan Create(int[] a, int[] b)
        {
            string sa = Engine.Shape.Format(a), sb = Engine.Shape.Format(b);
            if (a.Length == 0 || b.Length == 0)
            {
                throw new ArgumentException($"matmul: both arguments need at least one dimension, got {sa} and {sb}");
            }

            // A 1-D left operand is a row (1, K); a 1-D right operand a column (K, 1).
            int[] am = a.Length == 1 ? [1, a[0]] : a;
            int[] bm = b.Length == 1 ? [b[0], 1] : b;
            int m = am[^2], k = am[^1], n = bm[^1];
            if (bm[^2] != k)
            {
                throw new ArgumentException($"matmul: {sa} @ {sb}: inner dimensions {k} and {bm[^2]} differ");
            }

            int[] batchA = am[..^2], batchB = bm[..^2];
            int[] batch;
            try
            {
                batch = Engine.Shape.Broadcast(batchA, batchB);
            }
            catch (ArgumentException)
            {
                throw new ArgumentException($"matmul: {sa} @ {sb}: batch dims {Engine.Shape.Format(batchA)} and {Engine.Shape.Format(batchB)} cannot be broadcast");
            }

            var outShape = new List<int>(batch);
            if (a.Length > 1)
            {
                outShape.Add(m);
            }

            if (b.Length > 1)
            {
                outShape.Add(n);
            }

            int count = Engine.Shape.Numel(batch);
            var sA = Engine.Shape.BroadcastStrides(batchA, batch);
            var sB = Engine.Shape.BroadcastStrides(batchB, batch);
            var offA = new int[count];
            var offB = new int[count];
            var offC = new int[count];
            var idx = new int[batch.Length];
            for (int i = 0; i < count; i++)
            {
                int ea = 0, eb = 0;
                for (int d = 0; d < batch.Length; d++)
                {
                    ea += idx[d] * sA[d];
                    eb += idx[d] * sB[d];
                }

                offA[i] = checked(ea * m * k);
                offB[i] = checked(eb * k * n);
                offC[i] = checked(i * m * n);
                for (int d = batch.Length - 1; d >= 0 && ++idx[d] == batch[d]; d--)
                {
                    idx[d] = 0;
                }
            }

            bool fold = Engine.Shape.Numel(batchB) == 1;
            return new MatMulPlan([.. outShape], batch, batchA, batchB, m, n, k, offA, offB, offC, fold);
        }
    }
}
