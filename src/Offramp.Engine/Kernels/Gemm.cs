using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>Which GEMM micro-kernel runs: the best the CPU has (<see cref="Auto"/>) or a forced fallback.</summary>
internal enum GemmPath
{
    /// <summary>The best supported path (<see cref="Gemm.Best"/>).</summary>
    Auto,

    /// <summary>Vector512 FMA, 12 × 32 tiles.</summary>
    Avx512,

    /// <summary>Vector256 FMA, 6 × 16 tiles.</summary>
    Avx2,

    /// <summary>Portable scalar code, 4 × 4 tiles.</summary>
    Scalar,
}

/// <summary>
/// Single-precision general matrix multiply, <c>C = alpha·op(A)·op(B) + beta·C</c> (BLAS sgemm on row-major
/// storage), in the GotoBLAS/BLIS structure: C is swept in NC-column blocks; for each KC-deep slice of k, op(B)'s
/// block is packed into NR-column panels (shared by all threads) and each task packs an MC-row block of op(A) into
/// MR-row panels (thread-local) and runs the register-blocked micro-kernel over its tiles.
/// </summary>
/// <remarks>
/// <para>Determinism: each element of C is summed over k in one fixed order (k blocks of <see cref="KC"/> in
/// order, each summed 0..kc−1 inside the micro-kernel), whatever the tiling of M and N and whichever thread
/// computes the tile, so results are bit-identical for any <see cref="Parallelism.Threads"/>. Task tiling
/// depends only on the problem size.</para>
/// <para>BLAS semantics: when <c>beta == 0</c>, C is not read (NaN in C does not propagate); when
/// <c>k == 0</c> or <c>alpha == 0</c>, C is only scaled by beta.</para>
/// <para>Hot loops of the engine's kernels (here, im2col, convolution, pooling) carry
/// <c>MethodImplOptions.AggressiveOptimization</c>: they are compiled fully optimized on first call instead of
/// running as Tier-0/OSR code for a while (measured: the depthwise kernel ran 2.5× slower for the first
/// half-second under tiered compilation).</para>
/// </remarks>
internal static unsafe partial class Gemm
{
    /// <summary>
    /// Largest depth of a k block: a packed B micro-panel (KC × 32 floats, 32 KiB) stays in L1. k is cut into
    /// ⌈k / KC⌉ blocks of equal depth (rounded up to 8), so the summation order depends on k alone.
    /// </summary>
    internal const int KC = 256;

    /// <summary>Rows of op(A) packed per task (multiple of every MR): MC × KC floats stay in L2.</summary>
    internal const int MC = 288;

    /// <summary>Columns of C per outer block: a packed KC × NC slice of B stays in L2/L3.</summary>
    internal const int NC = 3072;

    private static readonly AsyncLocal<GemmPath> s_forced = new();

    /// <summary>The fastest path this CPU supports.</summary>
    public static GemmPath Best { get; } =
        Avx512F.IsSupported ? GemmPath.Avx512 : Avx2.IsSupported && Fma.IsSupported ? GemmPath.Avx2 : GemmPath.Scalar;

    /// <summary>The path GEMM calls take in the current async flow (forced by <see cref="Force"/>, else best).</summary>
    public static GemmPath Current => s_forced.Value == GemmPath.Auto ? Best : s_forced.Value;

    /// <summary>True when the CPU can run <paramref name="path"/>.</summary>
    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Avx512 => Avx512F.IsSupported,
        GemmPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    /// <summary>
    /// Forces <paramref name="path"/> for GEMM calls in this async flow (tasks started from it inherit it) until the
    /// returned scope is disposed; tests use it to run each fallback.
    /// </summary>
    public static PathScope Force(GemmPath path)
    {
        if (!IsSupported(path))
        {
            throw new PlatformNotSupportedException($"GEMM path {path} is not supported on this CPU");
        }

        var previous = s_forced.Value;
        s_forced.Value = path;
        return new PathScope(previous);
    }

    /// <summary>Restores the previous forced path.</summary>
    public readonly struct PathScope(GemmPath previous) : IDisposable
    {
        public void Dispose() => s_forced.Value = previous;
    }

    // a: op(A) (m, k) stored as (m, k) [lda ≥ k] or, transposed, (k, m) [lda ≥ m]; b: op(B) (k, n) stored as
    // (k, n) [ldb ≥ n] or (n, k) [ldb ≥ k]; c: (m, n) [ldc ≥ n]. C = alpha·op(A)·op(B) + beta·C.
    // parallel: false when the caller already runs GEMMs in parallel (one per image, one per batch item).
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, bool parallel = true)
        => Sgemm(Current, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel);

    /// <summary><see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, bool)"/> on an explicit path.</summary>
    public static void Sgemm(GemmPath path, bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a,
        int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, bool parallel = true)
    {
        CheckOperand("A", transA ? k : m, transA ? m : k, lda, a.Length);
        CheckOperand("B", transB ? n : k, transB ? k : n, ldb, b.Length);
        CheckOperand("C", m, n, ldc, c.Length);
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            Run(path == GemmPath.Auto ? Best : path, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, parallel);
        }
    }

    /// <summary>
    /// C = op(A)·op(B) + bias, the bias (n) added to every row (a Linear layer's forward): the same as filling each
    /// row of C with the bias and calling <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, bool)"/>
    /// with alpha 1, beta 1 — bit for bit (each element is bias + the first k block's sum, then + each further
    /// block's) — but the bias is added to each C tile right after the micro-kernel writes it, while it is in L1,
    /// so C is written once instead of filled, read and written again.
    /// </summary>
    /// <exception cref="ArgumentException">An operand does not fit its sizes, or the bias is not n long.</exception>
    public static void SgemmBias(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, Span<float> c, int ldc) =>
        SgemmEpilogue(transA, transB, m, n, k, a, lda, b, ldb, bias, default, 0, false, c, ldc);

    /// <summary>
    /// <see cref="SgemmBias"/> followed, tile by tile after the last k block, by GELU (exact, the
    /// <c>Tensor.Gelu</c> kernel) and/or the addition of a residual R (m × n, leading dimension ldr):
    /// C = GELU(op(A)·op(B) + bias) or R + (op(A)·op(B) + bias) — bit-identical to the separate ops
    /// (Linear, then Gelu / Add), without their passes over C. The bias may be empty (none).
    /// </summary>
    /// <exception cref="ArgumentException">An operand does not fit its sizes, the bias is neither empty nor n long,
    /// or both GELU and a residual are asked for.</exception>
    public static void SgemmEpilogue(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int ldr, bool gelu,
        Span<float> c, int ldc) =>
        SgemmEpilogue(transA, transB, m, n, k, a, lda, b, ldb, bias, residual, ldr, gelu, c, ldc, null);

    // prepackedB: PackBAll(Current, transB, b, ldb, n, k) of this b (the Linear weights under FrozenWeights), or null.
    internal static void SgemmEpilogue(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int ldr, bool gelu,
        Span<float> c, int ldc, float[]? prepackedB)
    {
        CheckOperand("A", transA ? k : m, transA ? m : k, lda, a.Length);
        CheckOperand("B", transB ? n : k, transB ? k : n, ldb, b.Length);
        CheckOperand("C", m, n, ldc, c.Length);
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException($"gemm: bias of {bias.Length} for {n} columns");
        }

        bool hasResidual = !residual.IsEmpty;
        if (hasResidual)
        {
            CheckOperand("residual", m, n, ldr, residual.Length);
        }

        if (gelu && hasResidual)
        {
            throw new ArgumentException("gemm: the epilogue applies GELU or adds a residual, not both");
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c, pbias = bias, pr = residual)
        {
            var epi = new TileEpilogue(bias.IsEmpty ? null : pbias, hasResidual ? pr : null, ldr, gelu);
            if (k == 0)
            {
                for (int i = 0; i < m; i++)
                {
                    float* row = pc + ((nint)i * ldc);
                    if (bias.IsEmpty)
                    {
                        new Span<float>(row, n).Clear();
                    }
                    else
                    {
                        bias.CopyTo(new Span<float>(row, n));
                    }

                    epi.Finish(row, i, 0, n);
                }

                return;
            }

            fixed (float* pre = prepackedB)
            {
                Run(Current, transA, transB, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, ldc, parallel: true, epi,
                    pre == null ? null : AlignedStart(pre));
            }
        }
    }

    /// <summary>
    /// op(B) (k × n) packed once into the panels <see cref="Run"/> would pack for each (column block, k block) of a
    /// product on <paramref name="path"/>: block (jc, p0) at jc·k + p0·RoundUp(nc, NR) floats from the 64-byte aligned
    /// start of the returned pinned array (<see cref="AlignedStart"/>). The same values in the same layout, so a GEMM
    /// that reads them is bit-identical to one that packs them itself.
    /// </summary>
    internal static float[] PackBAll(GemmPath path, bool transB, float* b, int ldb, int n, int k)
    {
        int nr = KernelFor(path).NR, kStep = KStep(k);
        var packed = GC.AllocateUninitializedArray<float>((RoundUp(Math.Max(n, 1), nr) * k) + 16, pinned: true);
        fixed (float* p = packed)
        {
            float* dst = AlignedStart(p);
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc), panels = CeilDiv(nc, nr);
                for (int p0 = 0; p0 < k; p0 += kStep)
                {
                    PackB(transB, b, ldb, p0, Math.Min(kStep, k - p0), jc, nc, nr, 0, panels,
                        dst + ((nint)jc * k) + ((nint)p0 * RoundUp(nc, nr)));
                }
            }
        }

        return packed;
    }

    // The first 64-byte aligned float of a pinned buffer (PackBAll's layout starts there).
    internal static float* AlignedStart(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>What <c>SgemmEpilogue</c> does to each C tile: the bias after the first k block; GELU or the
    /// residual after the last.</summary>
    internal readonly struct TileEpilogue(float* bias, float* residual, int ldr, bool gelu)
    {
        public bool HasBias => bias != null;

        public bool HasFinish => residual != null || gelu;

        // Row i, columns [j, j + cols) of C at c, after the last k block.
        public void Finish(float* c, int i, int j, int cols)
        {
            var row = new Span<float>(c, cols);
            if (gelu)
            {
                Elementwise.MapSerialBest(row, row, default(GeluOp));
            }
            else if (residual != null)
            {
                TensorPrimitives.Add(new ReadOnlySpan<float>(residual + ((nint)i * ldr) + j, cols), row, row);
            }
        }

        public float* Bias => bias;
    }

    /// <summary>Throws unless a (rows × cols) matrix with leading dimension ld fits in length elements.</summary>
    internal static void CheckOperand(string name, int rows, int cols, int ld, int length)
    {
        if (rows < 0 || cols < 0 || (rows > 0 && cols > 0 && ld < cols) || ld < 0)
        {
            throw new ArgumentException($"gemm: {name} is ({rows}, {cols}) with leading dimension {ld}");
        }

        long need = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (need > length)
        {
            throw new ArgumentException($"gemm: {name} ({rows}, {cols}) with leading dimension {ld} needs {need} elements, span has {length}");
        }
    }

    // epi: the tile epilogue of SgemmEpilogue (beta must be 0), or default. prepackedB: PackBAll's panels of this op(B)
    // (at their aligned start), or null to pack them here.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(GemmPath path, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, bool parallel, TileEpilogue epi = default, float* prepackedB = null)
    {
        if (k == 0 || alpha == 0)
        {
            ScaleC(c, m, n, ldc, beta);
            return;
        }

        var kern = KernelFor(path);
        int mr = kern.MR, nr = kern.NR;

        // Task tiling — from (m, n) only, never from the thread count. Small m is split finer (and N into column
        // chunks) so that there are about 8 tasks to share; k is never split.
        int mc = MC;
        if (parallel && m < 4 * MC)
        {
            mc = Math.Max(mr, RoundUp(CeilDiv(m, 4), mr));
        }

        int mBlocks = CeilDiv(m, mc);
        int chunkTarget = parallel ? Math.Max(1, CeilDiv(8, mBlocks)) : 1;
        int minChunkPanels = Math.Max(1, 128 / nr);
        float* packB = prepackedB != null ? null : PackBufferB(KC * RoundUp(Math.Min(NC, n), nr));
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;

        int kStep = KStep(k); // PackBAll's blocks are cut the same way
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = CeilDiv(nc, nr);
            int chunkPanels = Math.Min(panels, Math.Max(minChunkPanels, CeilDiv(panels, chunkTarget)));
            int cBlocks = CeilDiv(panels, chunkPanels);
            for (int p0 = 0; p0 < k; p0 += kStep)
            {
                int kc = Math.Min(kStep, k - p0);
                bool overwrite = p0 == 0 && beta == 0;
                float betaEff = p0 == 0 ? beta : 1f;
                int jc0 = jc, pp0 = p0;
                nint pbuf = prepackedB != null ? (nint)(prepackedB + ((nint)jc * k) + ((nint)p0 * RoundUp(nc, nr))) : (nint)packB;

                const int PanelsPerPackTask = 8;
                int packTasks = prepackedB != null ? 0 : CeilDiv(panels, PanelsPerPackTask);
                ForEach(parallel, packTasks, (long)kc * nr * PanelsPerPackTask, g => PackB(transB, (float*)pb, ldb, pp0, kc,
                    jc0, nc, nr, g * PanelsPerPackTask, Math.Min(panels, (g + 1) * PanelsPerPackTask), (float*)pbuf));

                ForEach(parallel, mBlocks * cBlocks, 2L * mc * chunkPanels * nr * kc, t =>
                {
                    int i0 = t / cBlocks * mc;
                    int rows = Math.Min(mc, m - i0);
                    int pn0 = t % cBlocks * chunkPanels;
                    int cols = Math.Min(nc, (pn0 + chunkPanels) * nr) - (pn0 * nr);
                    float* packA = PackBufferA(RoundUp(rows, mr) * kc);
                    PackA(transA, (float*)pa, lda, i0, rows, pp0, kc, alpha, mr, packA);
                    float* ct = (float*)pc + ((nint)i0 * ldc) + jc0 + (pn0 * nr);
                    Macro(kern, packA, (float*)pbuf + ((nint)pn0 * nr * kc), rows, cols, kc, ct, ldc, betaEff, overwrite,
                        epi, pp0 == 0, pp0 + kc >= k, i0, jc0 + (pn0 * nr));
                });
            }
        }
    }

    // Tiles of one task: jr (NR panels of B) outer so a B micro-panel stays in L1 while the A block streams from L2.
    // epi: after each tile is written, its bias (first k block) and GELU / residual (last k block); (ci, cj) is the
    // position of c in the whole C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro(MicroKernel kern, float* packA, float* packB, int mc, int nc, int kc, float* c, int ldc,
        float beta, bool overwrite, TileEpilogue epi = default, bool first = false, bool last = false, int ci = 0, int cj = 0)
    {
        int mr = kern.MR, nr = kern.NR;
        float* tile = null;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* bp = packB + ((nint)jr * kc);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* ap = packA + ((nint)ir * kc);
                float* ct = c + ((nint)ir * ldc) + jr;
                if (rows == mr && cols == nr)
                {
                    kern.Fn(kc, ap, bp, ct, ldc, beta, overwrite);
                }
                else
                {
                    if (tile == null)
                    {
                        tile = TileBuffer(mr * nr);
                    }

                    kern.Fn(kc, ap, bp, tile, nr, 0f, true);
                    StoreEdge(tile, nr, rows, cols, ct, ldc, beta, overwrite);
                }

                if (first && epi.HasBias)
                {
                    AddRowBias(ct, ldc, rows, cols, epi.Bias + cj + jr);
                }

                if (last && epi.HasFinish)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        epi.Finish(ct + ((nint)r * ldc), ci + ir + r, cj + jr, cols);
                    }
                }
            }
        }
    }

    // c[r, j] += bias[j] for a tile just written (in L1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRowBias(float* c, int ldc, int rows, int cols, float* bias)
    {
        if (Vector512.IsHardwareAccelerated && cols == 32)
        {
            var b0 = Vector512.Load(bias);
            var b1 = Vector512.Load(bias + 16);
            for (int r = 0; r < rows; r++)
            {
                float* row = c + ((nint)r * ldc);
                (Vector512.Load(row) + b0).Store(row);
                (Vector512.Load(row + 16) + b1).Store(row + 16);
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(new ReadOnlySpan<float>(c + ((nint)r * ldc), cols), new ReadOnlySpan<float>(bias, cols),
                new Span<float>(c + ((nint)r * ldc), cols));
        }
    }

    private static void ScaleC(float* c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + ((nint)i * ldc), n);
            if (beta == 0)
            {
                row.Clear();
            }
            else if (beta != 1)
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static void ForEach(bool parallel, int count, long workPerItem, Action<int> body)
    {
        if (parallel)
        {
            Parallelism.For(count, body, workPerItem);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }
        }
    }

    internal static int CeilDiv(int a, int b) => (a + b - 1) / b;

    internal static int RoundUp(int a, int b) => CeilDiv(a, b) * b;
}
