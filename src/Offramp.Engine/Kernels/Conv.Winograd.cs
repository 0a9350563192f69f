using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
/// 2016) for 3×3, stride-1, padding-1 convolutions: each 2×2 block of outputs ("tile") is computed from its 4×4 input
/// patch d as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so per tile and channel pair 16 multiplications replace 36. Summed over
/// the input channels the 16 element-wise products become 16 GEMMs, M_ξ (O × tiles) = U_ξ (O × C) · V_ξ (C × tiles),
/// one per point ξ of the 4×4 transformed tile, run on <see cref="Gemm"/>'s micro-kernel:
/// <list type="bullet">
/// <item>the weights U = G g Gᵀ (computed in double, rounded once) are packed as 16 GEMM A operands — once per call,
/// or once per <see cref="FrozenWeights"/> scope (<see cref="PackedWeights"/>);</item>
/// <item>a task takes a run of tiles (image, tile row, tile column order) and writes V = Bᵀ d B straight into GEMM
/// panel layout, 16 tiles per vector: each input row is loaded with AVX-512 masked loads (the zero padding is the
/// masked-off lanes) and split into even and odd columns by one permute;</item>
/// <item>the 16 GEMMs write M for whole micro-kernel tiles into a scratch block; the output transform adds the bias,
/// interleaves the two output columns of each tile with a permute and stores, then the epilogue (eval BatchNorm,
/// residual, ReLU) runs over what the task wrote.</item>
/// </list>
/// Every output is the same arithmetic whatever the task cut (the GEMM's k blocks come from C alone), so results do
/// not depend on the thread count or the batch. They differ from the direct sum in rounding only (the transforms add
/// and subtract about 3 inputs per value); <see cref="ForwardWinogradReference"/> is the scalar twin with the same
/// operations in the same order, which the tests compare bit for bit.
/// </summary>
internal static unsafe partial class Conv
{
    /// <summary>Points of the transformed tile (4 × 4): the number of GEMMs.</summary>
    internal const int WinogradPoints = 16;

    /// <summary>Fewest input and output channels for which <see cref="UsesWinograd"/> holds.</summary>
    internal const int WinogradMinChannels = 16;

    // Floats of V and M scratch one task aims at (about 640 KB: within this CPU's 1 MB L2).
    private const int WinogradTaskFloats = 160 * 1024;

    private static readonly FastPathSwitch s_noWinograd = new();

    [ThreadStatic]
    private static float[]? t_winoV;

    [ThreadStatic]
    private static float[]? t_winoM;

    private static readonly Vector512<int> EvenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> OddIndex = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> InterleaveLo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Sends forward convolutions in this async flow to the other paths (tests and benchmarks compare them)
    /// until the scope is disposed.</summary>
    internal static FastPathSwitch.Scope DisableWinograd() => s_noWinograd.TurnOff();

    /// <summary>True when <see cref="Forward"/> computes <paramref name="g"/> with Winograd F(2×2, 3×3): AVX-512, a 3×3
    /// kernel at stride 1 with padding 1, no dilation, one group, at least <see cref="WinogradMinChannels"/> channels in
    /// and out. Read on the caller's thread (it depends on <see cref="DisableWinograd"/>).</summary>
    internal static bool UsesWinograd(in ConvGeometry g, GemmPath path) =>
        path == GemmPath.Avx512 && Avx512F.IsSupported && g.KH == 3 && g.KW == 3 && g.Stride == (1, 1)
        && g.Padding == (1, 1) && g.Dilation == (1, 1) && g.Groups == 1 && g.C >= WinogradMinChannels
        && g.O >= WinogradMinChannels && !s_noWinograd.Off;

    /// <summary>Floats of the packed Winograd weights of an (o × c × 3 × 3) kernel on <paramref name="path"/>.</summary>
    internal static int WinogradPackedSize(GemmPath path, int o, int c) => WinogradPoints * Gemm.PackedASize(path, o, c);

    /// <summary>
    /// U = G g Gᵀ of every (output, input) channel pair of the (o, c, 3, 3) kernel <paramref name="w"/>, as 16 row-major
    /// (o × c) matrices: u[(ξ·o + oc)·c + ic], ξ = 4·row + column of the 4×4 transformed kernel. Computed in double and
    /// rounded once. G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    /// </summary>
    internal static void WinogradWeights(ReadOnlySpan<float> w, int o, int c, Span<float> u)
    {
        Debug.Assert(w.Length >= o * c * 9 && u.Length >= WinogradPoints * o * c);
        Span<double> gg = stackalloc double[12];
        for (int oc = 0; oc < o; oc++)
        {
            for (int ic = 0; ic < c; ic++)
            {
                var k = w.Slice(((oc * c) + ic) * 9, 9);
                for (int col = 0; col < 3; col++)
                {
                    double k0 = k[col], k1 = k[3 + col], k2 = k[6 + col];
                    gg[col] = k0;
                    gg[3 + col] = (k0 + k1 + k2) * 0.5;
                    gg[6 + col] = (k0 - k1 + k2) * 0.5;
                    gg[9 + col] = k2;
                }

                for (int q = 0; q < 4; q++)
                {
                    double a = gg[(q * 3) + 0], b = gg[(q * 3) + 1], d = gg[(q * 3) + 2];
                    nint at = ((nint)(q * 4) * o * c) + ((nint)oc * c) + ic, step = (nint)o * c;
                    u[(int)at] = (float)a;
                    u[(int)(at + step)] = (float)((a + b + d) * 0.5);
                    u[(int)(at + (2 * step))] = (float)((a - b + d) * 0.5);
                    u[(int)(at + (3 * step))] = (float)d;
                }
            }
        }
    }

    // The 16 U_ξ as GEMM A operands, WinogradPackedSize floats at dst (Gemm.PackedASize(path, o, c) apart).
    private static void PackWinogradWeights(GemmPath path, float* w, int o, int c, float* dst)
    {
        int aSize = Gemm.PackedASize(path, o, c), size = WinogradPoints * o * c;
        float[] u = ArrayPool<float>.Shared.Rent(size);
        try
        {
            WinogradWeights(new ReadOnlySpan<float>(w, o * c * 9), o, c, u);
            fixed (float* pu = u)
            {
                for (int xi = 0; xi < WinogradPoints; xi++)
                {
                    Gemm.PackAAll(path, false, pu + ((nint)xi * o * c), c, o, c, 1f, dst + ((nint)xi * aSize));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    // Tiles per task (a multiple of the panel width): as many as keep V (16·C per tile) and M (16·rows per tile) within
    // WinogradTaskFloats, from 32 to 256.
    internal static int WinogradTaskTiles(int c, int rowsPad, int nr) =>
        Math.Clamp(WinogradTaskFloats / (WinogradPoints * (c + rowsPad)) / nr * nr, nr, 256);

    // Forward of a UsesWinograd geometry. prepacked: PackWinogradWeights' layout (PackedWeights), or null.
    private static void ForwardWinograd(float* x, float* w, float* b, float* y, in ConvGeometry geometry, ConvEpilogue epilogue,
        float[]? prepacked)
    {
        var g = geometry;
        var path = GemmPath.Avx512;
        int mr = Gemm.PanelHeight(path), nr = Gemm.PanelWidth(path);
        int th = (g.OH + 1) / 2, tw = (g.OW + 1) / 2, mPad = Gemm.RoundUp(g.O, mr);
        long total = (long)g.N * th * tw;
        int cols = (int)Math.Min(WinogradTaskTiles(g.C, mPad, nr), Gemm.RoundUp((int)Math.Min(total, 1 << 20), nr));
        int colTasks = (int)((total + cols - 1) / cols);

        // Few tile runs (a small batch) leave the threads too little: cut the output channels into up to 4 blocks too
        // (each block's task transforms its tiles' input again). From the sizes alone.
        int rowBlocks = colTasks >= 4 ? 1 : Math.Min(mPad / mr, Gemm.CeilDiv(4, colTasks));
        int rowsPer = Gemm.RoundUp(Gemm.CeilDiv(mPad, rowBlocks), mr);
        rowBlocks = Gemm.CeilDiv(mPad, rowsPer);
        int size = WinogradPackedSize(path, g.O, g.C), aSize = Gemm.PackedASize(path, g.O, g.C);
        float[] packed = prepacked ?? ArrayPool<float>.Shared.Rent(size);
        Debug.Assert(packed.Length >= size);
        try
        {
            fixed (float* pp = packed)
            {
                if (prepacked is null)
                {
                    PackWinogradWeights(path, w, g.O, g.C, pp);
                }

                nint xa = (nint)x, ya = (nint)y, ba = (nint)b, ua = (nint)pp;
                Parallelism.For(colTasks * rowBlocks, t =>
                {
                    long j0 = (long)(t / rowBlocks) * cols;
                    int n = (int)Math.Min(cols, total - j0), ncPad = Gemm.RoundUp(n, nr);
                    int r0 = t % rowBlocks * rowsPer, rows = Math.Min(rowsPer, mPad - r0);
                    float* v = WinogradBuffer(ref t_winoV, WinogradPoints * g.C * ncPad);
                    float* m = WinogradBuffer(ref t_winoM, WinogradPoints * rows * ncPad);
                    WinogradInput((float*)xa, g, th, tw, j0, n, ncPad, v);
                    for (int xi = 0; xi < WinogradPoints; xi++)
                    {
                        Gemm.MultiplyPackedFull(path, (float*)ua + ((nint)xi * aSize), g.O, r0, rows, ncPad, g.C,
                            v + ((nint)xi * g.C * ncPad), m + ((nint)xi * rows * ncPad), ncPad);
                    }

                    WinogradOutput(m, rows, ncPad, (float*)ba, (float*)ya, g, th, tw, j0, n, r0, Math.Min(g.O, r0 + rows), epilogue);
                }, 2L * WinogradPoints * rowsPer * cols * g.C);
            }
        }
        finally
        {
            if (prepacked is null)
            {
                ArrayPool<float>.Shared.Return(packed);
            }
        }
    }

    // A thread's 64-byte aligned scratch of n floats plus 32 floats of slack (the output transform reads whole vectors).
    private static float* WinogradBuffer(ref float[]? buffer, int n) =>
        Gemm.AlignedStart(Im2ColPanels.Buffer(ref buffer, n + 48));

    // V for tiles [j0, j0 + n) into the 16 (C × ncPad) B operands at v, each in PackBAll's block layout (k block p0 at
    // p0·ncPad, panel p of it at p·NR·kc, element (channel, column) at (channel − p0)·NR + column % NR). Columns n..ncPad
    // are zeros. A piece is a run of up to 16 tiles in one tile row and one panel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WinogradInput(float* x, in ConvGeometry g, int th, int tw, long j0, int n, int ncPad, float* v)
    {
        const int Nr = 32;
        int c = g.C, h = g.H, wd = g.W, kStep = Gemm.KStep(c);
        nint plane = (nint)h * wd, pointStride = (nint)c * ncPad;
        var wLimit = Vector512.Create((uint)wd);
        for (int jl = 0; jl < n;)
        {
            long j = j0 + jl;
            int img = (int)(j / ((long)th * tw)), rest = (int)(j % ((long)th * tw)), ty = rest / tw, tx0 = rest % tw;
            int len = Math.Min(Math.Min(16, tw - tx0), Math.Min(n - jl, Nr - (jl % Nr)));
            int bcol = (2 * tx0) - 1;
            var cols0 = Vector512.Create(bcol) + Vector512<int>.Indices;
            var m0 = Vector512.LessThan(cols0.AsUInt32(), wLimit).AsSingle();
            var m16 = Vector512.LessThan((cols0 + Vector512.Create(16)).AsUInt32(), wLimit).AsSingle();
            var m2 = Vector512.LessThan((cols0 + Vector512.Create(2)).AsUInt32(), wLimit).AsSingle();
            var m18 = Vector512.LessThan((cols0 + Vector512.Create(18)).AsUInt32(), wLimit).AsSingle();
            var store = ShortRuns.Tail(len);
            float* xImage = x + ((nint)img * c * plane) + bcol;
            int panel = jl / Nr, lane = jl % Nr;
            for (int ch = 0; ch < c; ch++)
            {
                float* xc = xImage + (ch * plane);
                int iy = (2 * ty) - 1;
                var (a0, a1, a2, a3) = WinogradRow(xc, iy, h, wd, m0, m16, m2, m18);
                var (b0, b1, b2, b3) = WinogradRow(xc, iy + 1, h, wd, m0, m16, m2, m18);
                var (c0, c1, c2, c3) = WinogradRow(xc, iy + 2, h, wd, m0, m16, m2, m18);
                var (d0, d1, d2, d3) = WinogradRow(xc, iy + 3, h, wd, m0, m16, m2, m18);
                int p0 = ch / kStep * kStep, kc = Math.Min(kStep, c - p0);
                float* dst = v + ((nint)p0 * ncPad) + ((nint)panel * Nr * kc) + ((nint)(ch - p0) * Nr) + lane;

                // Rows of Bᵀ: V_0s = w_0s − w_2s, V_1s = w_1s + w_2s, V_2s = w_2s − w_1s, V_3s = w_1s − w_3s.
                Avx512F.MaskStore(dst, store, a0 - c0);
                Avx512F.MaskStore(dst + pointStride, store, a1 - c1);
                Avx512F.MaskStore(dst + (2 * pointStride), store, a2 - c2);
                Avx512F.MaskStore(dst + (3 * pointStride), store, a3 - c3);
                Avx512F.MaskStore(dst + (4 * pointStride), store, b0 + c0);
                Avx512F.MaskStore(dst + (5 * pointStride), store, b1 + c1);
                Avx512F.MaskStore(dst + (6 * pointStride), store, b2 + c2);
                Avx512F.MaskStore(dst + (7 * pointStride), store, b3 + c3);
                Avx512F.MaskStore(dst + (8 * pointStride), store, c0 - b0);
                Avx512F.MaskStore(dst + (9 * pointStride), store, c1 - b1);
                Avx512F.MaskStore(dst + (10 * pointStride), store, c2 - b2);
                Avx512F.MaskStore(dst + (11 * pointStride), store, c3 - b3);
                Avx512F.MaskStore(dst + (12 * pointStride), store, b0 - d0);
                Avx512F.MaskStore(dst + (13 * pointStride), store, b1 - d1);
                Avx512F.MaskStore(dst + (14 * pointStride), store, b2 - d2);
                Avx512F.MaskStore(dst + (15 * pointStride), store, b3 - d3);
            }

            jl += len;
        }

        if (n < ncPad)
        {
            // The last panel's unused columns: zeros (they only reach M's unused columns, but stay finite).
            int panel = n / Nr, from = n % Nr;
            for (int xi = 0; xi < WinogradPoints; xi++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    int p0 = ch / kStep * kStep, kc = Math.Min(kStep, c - p0);
                    float* row = v + (xi * pointStride) + ((nint)p0 * ncPad) + ((nint)panel * Nr * kc) + ((nint)(ch - p0) * Nr);
                    new Span<float>(row + from, Nr - from).Clear();
                }
            }
        }
    }

    // One input row iy of 16 tiles' patches (row pointer at column 2·tx0 − 1): its four columns d_s of each tile, then
    // d·B: w_0 = d_0 − d_2, w_1 = d_1 + d_2, w_2 = d_2 − d_1, w_3 = d_1 − d_3. Rows outside the image are zeros.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) WinogradRow(float* xc, int iy, int h,
        int wd, Vector512<float> m0, Vector512<float> m16, Vector512<float> m2, Vector512<float> m18)
    {
        if ((uint)iy >= (uint)h)
        {
            return (default, default, default, default);
        }

        float* p = xc + ((nint)iy * wd);
        var lo = Avx512F.MaskLoad(p, m0, Vector512<float>.Zero);
        var hi = Avx512F.MaskLoad(p + 16, m16, Vector512<float>.Zero);
        var lo2 = Avx512F.MaskLoad(p + 2, m2, Vector512<float>.Zero);
        var hi2 = Avx512F.MaskLoad(p + 18, m18, Vector512<float>.Zero);
        var d0 = Avx512F.PermuteVar16x32x2(lo, EvenIndex, hi);
        var d1 = Avx512F.PermuteVar16x32x2(lo, OddIndex, hi);
        var d2 = Avx512F.PermuteVar16x32x2(lo2, EvenIndex, hi2);
        var d3 = Avx512F.PermuteVar16x32x2(lo2, OddIndex, hi2);
        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3);
    }

    // Y = Aᵀ M A (+ bias) for tiles [j0, j0 + n) and output channels [o0, o1) (M's rows from r0, 16 blocks of
    // rows × ncPad), then the epilogue over every run of outputs written.
    // Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]: t0 = m_0 + m_1 + m_2, t1 = m_1 − m_2 − m_3 along each row of M, then the same
    // down the columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WinogradOutput(float* m, int rows, int ncPad, float* bias, float* y, in ConvGeometry g, int th, int tw,
        long j0, int n, int r0, int o1, ConvEpilogue epilogue)
    {
        int oh = g.OH, ow = g.OW, o = g.O;
        nint ohw = (nint)oh * ow, pointStride = (nint)rows * ncPad;
        for (int jl = 0; jl < n;)
        {
            long j = j0 + jl;
            int img = (int)(j / ((long)th * tw)), rest = (int)(j % ((long)th * tw)), ty = rest / tw, tx0 = rest % tw;
            int len = Math.Min(Math.Min(16, tw - tx0), n - jl);
            int count = Math.Min(2 * len, ow - (2 * tx0));
            var lo = ShortRuns.Tail(count);
            var hi = ShortRuns.Tail(count - 16);
            bool second = (2 * ty) + 1 < oh;
            for (int oc = r0; oc < o1; oc++)
            {
                float* mp = m + ((nint)(oc - r0) * ncPad) + jl;
                var q00 = Vector512.Load(mp);
                var q01 = Vector512.Load(mp + pointStride);
                var q02 = Vector512.Load(mp + (2 * pointStride));
                var q03 = Vector512.Load(mp + (3 * pointStride));
                var q10 = Vector512.Load(mp + (4 * pointStride));
                var q11 = Vector512.Load(mp + (5 * pointStride));
                var q12 = Vector512.Load(mp + (6 * pointStride));
                var q13 = Vector512.Load(mp + (7 * pointStride));
                var q20 = Vector512.Load(mp + (8 * pointStride));
                var q21 = Vector512.Load(mp + (9 * pointStride));
                var q22 = Vector512.Load(mp + (10 * pointStride));
                var q23 = Vector512.Load(mp + (11 * pointStride));
                var q30 = Vector512.Load(mp + (12 * pointStride));
                var q31 = Vector512.Load(mp + (13 * pointStride));
                var q32 = Vector512.Load(mp + (14 * pointStride));
                var q33 = Vector512.Load(mp + (15 * pointStride));
                var s00 = q00 + q01 + q02;
                var s01 = q01 - q02 - q03;
                var s10 = q10 + q11 + q12;
                var s11 = q11 - q12 - q13;
                var s20 = q20 + q21 + q22;
                var s21 = q21 - q22 - q23;
                var s30 = q30 + q31 + q32;
                var s31 = q31 - q32 - q33;
                var y00 = s00 + s10 + s20;
                var y01 = s01 + s11 + s21;
                var y10 = s10 - s20 - s30;
                var y11 = s11 - s21 - s31;
                if (bias != null)
                {
                    var bv = Vector512.Create(bias[oc]);
                    y00 += bv;
                    y01 += bv;
                    y10 += bv;
                    y11 += bv;
                }

                float* yr = y + ((((nint)img * o) + oc) * ohw) + ((nint)(2 * ty) * ow) + (2 * tx0);
                Avx512F.MaskStore(yr, lo, Avx512F.PermuteVar16x32x2(y00, InterleaveLo, y01));
                Avx512F.MaskStore(yr + 16, hi, Avx512F.PermuteVar16x32x2(y00, InterleaveHi, y01));
                if (second)
                {
                    Avx512F.MaskStore(yr + ow, lo, Avx512F.PermuteVar16x32x2(y10, InterleaveLo, y11));
                    Avx512F.MaskStore(yr + ow + 16, hi, Avx512F.PermuteVar16x32x2(y10, InterleaveHi, y11));
                }
            }

            jl += len;
        }

        if (!epilogue.IsEmpty)
        {
            WinogradEpilogue(y, g, th, tw, j0, n, r0, o1, epilogue);
        }
    }

    // The epilogue over the outputs of tiles [j0, j0 + n), channels [o0, o1): per image, runs of whole output rows
    // (from whole tile rows) and the pieces of a first or last partial tile row, each applied once per channel.
    private static void WinogradEpilogue(float* y, in ConvGeometry g, int th, int tw, long j0, int n, int o0, int o1,
        ConvEpilogue epilogue)
    {
        const int MaxRuns = 16;
        int oh = g.OH, ow = g.OW;
        int* runs = stackalloc int[3 * MaxRuns]; // (image, start in the plane, length)
        int count = 0;
        for (int jl = 0; jl < n;)
        {
            long j = j0 + jl;
            int img = (int)(j / ((long)th * tw)), rest = (int)(j % ((long)th * tw)), ty = rest / tw, tx0 = rest % tw;
            int len = Math.Min(tw - tx0, n - jl);
            int c0 = 2 * tx0, c1 = Math.Min(ow, 2 * (tx0 + len)), rows = Math.Min(2, oh - (2 * ty));
            for (int r = 0; r < rows; r++)
            {
                int start = (((2 * ty) + r) * ow) + c0;
                int* last = runs + (3 * (count - 1));
                if (count > 0 && last[0] == img && last[1] + last[2] == start)
                {
                    last[2] += c1 - c0;
                    continue;
                }

                if (count == MaxRuns)
                {
                    ApplyRuns(y, g, runs, count, o0, o1, epilogue);
                    count = 0;
                }

                runs[3 * count] = img;
                runs[(3 * count) + 1] = start;
                runs[(3 * count) + 2] = c1 - c0;
                count++;
            }

            jl += len;
        }

        ApplyRuns(y, g, runs, count, o0, o1, epilogue);
    }

    private static void ApplyRuns(float* y, in ConvGeometry g, int* runs, int count, int o0, int o1, ConvEpilogue epilogue)
    {
        nint ohw = (nint)g.OH * g.OW;
        for (int oc = o0; oc < o1; oc++)
        {
            for (int r = 0; r < count; r++)
            {
                nint at = ((((nint)runs[3 * r] * g.O) + oc) * ohw) + runs[(3 * r) + 1];
                epilogue.Apply(y + at, runs[(3 * r) + 2], oc, at);
            }
        }
    }

    /// <summary>
    /// The scalar twin of the Winograd forward: the same transforms, the same products summed in the same order (the
    /// GEMM's k blocks of <see cref="Gemm.KStep"/>, each from +0 with fused multiply-adds, added to the previous
    /// blocks), the bias added last — bit-identical to <see cref="Forward"/> on a <see cref="UsesWinograd"/> geometry.
    /// No epilogue. x (N, C, H, W), w (O, C, 3, 3), b (O) or empty → y (N, O, H, W).
    /// </summary>
    internal static void ForwardWinogradReference(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        Span<float> y, in ConvGeometry g)
    {
        int c = g.C, o = g.O, h = g.H, wd = g.W, th = (g.OH + 1) / 2, tw = (g.OW + 1) / 2, kStep = Gemm.KStep(c);
        var u = new float[WinogradPoints * o * c];
        WinogradWeights(w, o, c, u);
        var v = new float[WinogradPoints * c];
        var d = new float[16];
        var t = new float[16];
        var mm = new float[16];
        for (int img = 0; img < g.N; img++)
        {
            for (int ty = 0; ty < th; ty++)
            {
                for (int tx = 0; tx < tw; tx++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        for (int r = 0; r < 4; r++)
                        {
                            int iy = (2 * ty) - 1 + r;
                            for (int s = 0; s < 4; s++)
                            {
                                int ix = (2 * tx) - 1 + s;
                                d[(r * 4) + s] = (uint)iy < (uint)h && (uint)ix < (uint)wd
                                    ? x[(((img * c) + ch) * h * wd) + (iy * wd) + ix] : 0f;
                            }

                            t[(r * 4) + 0] = d[(r * 4) + 0] - d[(r * 4) + 2];
                            t[(r * 4) + 1] = d[(r * 4) + 1] + d[(r * 4) + 2];
                            t[(r * 4) + 2] = d[(r * 4) + 2] - d[(r * 4) + 1];
                            t[(r * 4) + 3] = d[(r * 4) + 1] - d[(r * 4) + 3];
                        }

                        for (int s = 0; s < 4; s++)
                        {
                            v[((0 + s) * c) + ch] = t[s] - t[8 + s];
                            v[((4 + s) * c) + ch] = t[4 + s] + t[8 + s];
                            v[((8 + s) * c) + ch] = t[8 + s] - t[4 + s];
                            v[((12 + s) * c) + ch] = t[4 + s] - t[12 + s];
                        }
                    }

                    for (int oc = 0; oc < o; oc++)
                    {
                        for (int xi = 0; xi < WinogradPoints; xi++)
                        {
                            float sum = 0f;
                            for (int p0 = 0; p0 < c; p0 += kStep)
                            {
                                float acc = 0f;
                                for (int ch = p0; ch < Math.Min(c, p0 + kStep); ch++)
                                {
                                    acc = MathF.FusedMultiplyAdd(u[(((xi * o) + oc) * c) + ch], v[(xi * c) + ch], acc);
                                }

                                sum = p0 == 0 ? acc : MathF.FusedMultiplyAdd(sum, 1f, acc);
                            }

                            mm[xi] = sum;
                        }

                        float s00 = mm[0] + mm[1] + mm[2], s01 = mm[1] - mm[2] - mm[3];
                        float s10 = mm[4] + mm[5] + mm[6], s11 = mm[5] - mm[6] - mm[7];
                        float s20 = mm[8] + mm[9] + mm[10], s21 = mm[9] - mm[10] - mm[11];
                        float s30 = mm[12] + mm[13] + mm[14], s31 = mm[13] - mm[14] - mm[15];
                        Span<float> outs = [s00 + s10 + s20, s01 + s11 + s21, s10 - s20 - s30, s11 - s21 - s31];
                        for (int k = 0; k < 4; k++)
                        {
                            int oy = (2 * ty) + (k / 2), ox = (2 * tx) + (k % 2);
                            if (oy < g.OH && ox < g.OW)
                            {
                                y[(((img * o) + oc) * g.OH * g.OW) + (oy * g.OW) + ox] = b.IsEmpty ? outs[k] : outs[k] + b[oc];
                            }
                        }
                    }
                }
            }
        }
    }
}
