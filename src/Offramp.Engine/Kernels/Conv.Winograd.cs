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

    /// <summary>
    /// Fewest input and output channels for which <see cref="UsesWinograd"/> holds. Measured (`--quick --winograd
    /// [--frozen] --threads 2`, µs per image against the direct kernel or im2col + GEMM, batches 1 / 8 / 64 / 256): at
    /// 64 channels and more Winograd is 1.2–2.6× faster with the weights packed once and 1.2–1.9× at batch 64+ packing
    /// them in every call (training); at 32 channels (an O of 32 fills 32 of the GEMM's 36 padded rows; the direct kernel
    /// is at its best on 14- to 32-wide rows) 0.8–1.2×.
    /// </summary>
    internal const int WinogradMinChannels = 48;

    // Floats of V and M scratch one task aims at (about 640 KB: within this CPU's 1 MB L2).
    private const int WinogradTaskFloats = 160 * 1024;

    private static readonly FastPathSwitch s_noWinograd = new();

    [ThreadStatic]
    private static float[]? t_winoV;

    [ThreadStatic]
    private static float[]? t_winoM;

    [ThreadStatic]
    private static float[]? t_winoPlanes;

    private static readonly Vector512<int> EvenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> OddIndex = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    private static readonly Vector512<int> InterleaveLo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHi = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>Sends forward convolutions in this async flow to the other paths (tests and benchmarks compare them)
    /// until the scope is disposed.</summary>
    internal static FastPathSwitch.Scope DisableWinograd() => s_noWinograd.TurnOff();

    /// <summary>Makes <see cref="UsesWinograd"/> take 3×3 stride-1 convolutions of any channel count in this async flow
    /// until the scope is disposed (tests of the kernel on odd shapes; the benchmark's comparison below the
    /// threshold).</summary>
    internal static FastPathSwitch.Scope WinogradAnyChannels() => s_winogradAnyChannels.TurnOff();

    private static readonly FastPathSwitch s_winogradAnyChannels = new();

    /// <summary>True when <see cref="Forward"/> computes <paramref name="g"/> with Winograd F(2×2, 3×3): AVX-512, a 3×3
    /// kernel at stride 1 with padding 1, no dilation, one group, at least <see cref="WinogradMinChannels"/> channels in
    /// and out. From the layer's sizes, never the batch, so a sample gets the same bits in any batch. Read on the
    /// caller's thread (it depends on <see cref="DisableWinograd"/> and <see cref="WinogradAnyChannels"/>).</summary>
    internal static bool UsesWinograd(in ConvGeometry g, GemmPath path) =>
        path == GemmPath.Avx512 && Avx512F.IsSupported && g.KH == 3 && g.KW == 3 && g.Stride == (1, 1)
        && g.Padding == (1, 1) && g.Dilation == (1, 1) && g.Groups == 1 && !s_noWinograd.Off
        && ((g.C >= WinogradMinChannels && g.O >= WinogradMinChannels) || s_winogradAnyChannels.Off);

    /// <summary>Floats of the packed Winograd weights of an (o × c × 3 × 3) kernel on <paramref name="path"/>.</summary>
    internal static int WinogradPackedSize(GemmPath path, int o, int c) => WinogradPoints * Gemm.PackedASize(path, o, c);

    /// <summary>
    /// U = G g Gᵀ of every (output, input) channel pair of the (o, c, 3, 3) kernel <paramref name="w"/>, as 16 row-major
    /// (o × c) matrices: u[(ξ·o + oc)·c + ic], ξ = 4·row + column of the 4×4 transformed kernel. Computed in double and
    /// rounded once. G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]. Per output channel the taps are first laid out tap
    /// by tap, then 8 input channels go through the same double operations per vector (AVX-512) as one does in the
    /// scalar loop, so both give the same bits.
    /// </summary>
    internal static void WinogradWeights(ReadOnlySpan<float> w, int o, int c, Span<float> u)
    {
        if (w.Length < o * c * 9 || u.Length < WinogradPoints * o * c)
        {
            throw new ArgumentException($"Winograd weights: need {o * c * 9} weights and room for {WinogradPoints * o * c}");
        }

        float[] taps = ArrayPool<float>.Shared.Rent(9 * c);
        try
        {
            fixed (float* pw = w, pu = u, pt = taps)
            {
                for (int oc = 0; oc < o; oc++)
                {
                    float* wo = pw + ((nint)oc * c * 9);
                    for (int ic = 0; ic < c; ic++)
                    {
                        for (int t = 0; t < 9; t++)
                        {
                            pt[(t * c) + ic] = wo[(ic * 9) + t];
                        }
                    }

                    float* uo = pu + ((nint)oc * c);
                    nint step = (nint)o * c;
                    int ic0 = 0;
                    if (Avx512F.IsSupported)
                    {
                        for (; ic0 + 8 <= c; ic0 += 8)
                        {
                            WinogradWeights8(pt + ic0, c, uo + ic0, step);
                        }
                    }

                    for (; ic0 < c; ic0++)
                    {
                        WinogradWeights1(pt + ic0, c, uo + ic0, step);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(taps);
        }
    }

    // One input channel: taps at t[tap·ld], U_ξ written at u + ξ·step.
    private static void WinogradWeights1(float* t, int ld, float* u, nint step)
    {
        for (int q = 0; q < 4; q++)
        {
            double a, b, d;
            if (q is 0 or 3)
            {
                int row = q == 0 ? 0 : 6;
                (a, b, d) = (t[row * ld], t[(row + 1) * ld], t[(row + 2) * ld]);
            }
            else
            {
                double sign = q == 1 ? 1.0 : -1.0;
                a = (t[0] + (sign * t[3 * ld]) + t[6 * ld]) * 0.5;
                b = (t[ld] + (sign * t[4 * ld]) + t[7 * ld]) * 0.5;
                d = (t[2 * ld] + (sign * t[5 * ld]) + t[8 * ld]) * 0.5;
            }

            float* uq = u + (4 * q * step);
            uq[0] = (float)a;
            uq[step] = (float)((a + b + d) * 0.5);
            uq[2 * step] = (float)((a - b + d) * 0.5);
            uq[3 * step] = (float)d;
        }
    }

    // Eight input channels at once, the same double operations as WinogradWeights1.
    private static void WinogradWeights8(float* t, int ld, float* u, nint step)
    {
        var half = Vector512.Create(0.5);
        for (int q = 0; q < 4; q++)
        {
            Vector512<double> a, b, d;
            if (q is 0 or 3)
            {
                int row = q == 0 ? 0 : 6;
                a = Load8(t + (row * ld));
                b = Load8(t + ((row + 1) * ld));
                d = Load8(t + ((row + 2) * ld));
            }
            else
            {
                var sign = Vector512.Create(q == 1 ? 1.0 : -1.0);
                a = (Load8(t) + (sign * Load8(t + (3 * ld))) + Load8(t + (6 * ld))) * half;
                b = (Load8(t + ld) + (sign * Load8(t + (4 * ld))) + Load8(t + (7 * ld))) * half;
                d = (Load8(t + (2 * ld)) + (sign * Load8(t + (5 * ld))) + Load8(t + (8 * ld))) * half;
            }

            float* uq = u + (4 * q * step);
            Avx512F.ConvertToVector256Single(a).Store(uq);
            Avx512F.ConvertToVector256Single((a + b + d) * half).Store(uq + step);
            Avx512F.ConvertToVector256Single((a - b + d) * half).Store(uq + (2 * step));
            Avx512F.ConvertToVector256Single(d).Store(uq + (3 * step));
        }

        static Vector512<double> Load8(float* p) => Avx512F.ConvertToVector512Double(Vector256.Load(p));
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
        // Tasks are runs of tiles, at least 4 of them when there are 4 panels of tiles (each transforms its own tiles'
        // input); a single panel (one 7×7 or 8×8 image) is cut into two output-channel blocks instead, each transforming
        // the input again (a V shared between the cores measured slower). From the sizes alone.
        int cols = (int)Math.Min(WinogradTaskTiles(g.C, mPad, nr), Gemm.RoundUp((int)Math.Min((total + 3) / 4, 1 << 20), nr));
        int colTasks = (int)((total + cols - 1) / cols);
        int rowBlocks = colTasks >= 2 ? 1 : Math.Min(mPad / mr, 2);
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
                    WinogradInput((float*)xa, g, th, tw, j0, n, ncPad, v, 0, g.C);
                    WinogradProducts((float*)ua, aSize, g, v, ncPad, r0, rows, (float*)ba, (float*)ya, th, tw, j0, n, epilogue);
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

    // The 16 GEMMs of output rows [r0, r0 + rows) (a multiple of MR) for tiles [j0, j0 + n), whose V is at v, then the
    // output transform of channels [r0, min(O, r0 + rows)).
    private static void WinogradProducts(float* u, int aSize, in ConvGeometry g, float* v, int ncPad, int r0, int rows, float* b,
        float* y, int th, int tw, long j0, int n, ConvEpilogue epilogue)
    {
        float* m = WinogradBuffer(ref t_winoM, WinogradPoints * rows * ncPad);
        for (int xi = 0; xi < WinogradPoints; xi++)
        {
            Gemm.MultiplyPackedFull(GemmPath.Avx512, u + ((nint)xi * aSize), g.O, r0, rows, ncPad, g.C,
                v + ((nint)xi * g.C * ncPad), m + ((nint)xi * rows * ncPad), ncPad);
        }

        WinogradOutput(m, rows, ncPad, b, y, g, th, tw, j0, n, r0, Math.Min(g.O, r0 + rows), epilogue);
    }

    // A thread's 64-byte aligned scratch of n floats plus 32 floats of slack (the output transform reads whole vectors).
    private static float* WinogradBuffer(ref float[]? buffer, int n) =>
        Gemm.AlignedStart(Im2ColPanels.Buffer(ref buffer, n + 48));

    // V for tiles [j0, j0 + n) into the 16 (C × ncPad) B operands at v, each in PackBAll's block layout (k block p0 at
    // p0·ncPad, panel p of it at p·NR·kc, element (channel, column) at (channel − p0)·NR + column % NR). Columns n..ncPad
    // are zeros. Per image and channel, in two passes through a small L1 scratch:
    // 1. d·B along every input row the tiles read (WinogradRow, 16 tiles per vector), each result row s stored in the
    //    plane of its row parity: E_s[i][tx] = (d·B)_s of padded row 2i, O_s[i][tx] of padded row 2i + 1 (rows from
    //    the image segment's first tile row, tw floats each);
    // 2. Bᵀ· down the columns: for tile l of tile row ty, its patch rows 2ty..2ty + 3 are E_s[ty], O_s[ty], E_s[ty + 1],
    //    O_s[ty + 1] — at l, l, l + tw, l + tw in the planes (from the segment's first row) — so 16 consecutive tiles,
    //    across tile rows, take four plain vector loads per s.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // Channels [chA, chB) only (the rest of v untouched).
    private static void WinogradInput(float* x, in ConvGeometry g, int th, int tw, long j0, int n, int ncPad, float* v, int chA, int chB)
    {
        const int Nr = 32;
        int c = g.C, h = g.H, wd = g.W, kStep = Gemm.KStep(c), chunks = Gemm.CeilDiv(tw, 16);
        nint plane = (nint)h * wd, pointStride = (nint)c * ncPad;
        int perImage = th * tw;
        var wLimit = Vector512.Create((uint)wd);

        // Per 16-tile chunk of a tile row: the masks of its four loads and of its store.
        var masks = stackalloc Vector512<float>[5 * chunks];
        for (int k = 0; k < chunks; k++)
        {
            var cols0 = Vector512.Create((32 * k) - 1) + Vector512<int>.Indices;
            masks[5 * k] = Vector512.LessThan(cols0.AsUInt32(), wLimit).AsSingle();
            masks[(5 * k) + 1] = Vector512.LessThan((cols0 + Vector512.Create(16)).AsUInt32(), wLimit).AsSingle();
            masks[(5 * k) + 2] = Vector512.LessThan((cols0 + Vector512.Create(2)).AsUInt32(), wLimit).AsSingle();
            masks[(5 * k) + 3] = Vector512.LessThan((cols0 + Vector512.Create(18)).AsUInt32(), wLimit).AsSingle();
            masks[(5 * k) + 4] = ShortRuns.Tail(tw - (16 * k));
        }

        for (int jl = 0; jl < n;)
        {
            long j = j0 + jl;
            int img = (int)(j / perImage), la = (int)(j % perImage), lb = Math.Min(perImage, la + (n - jl));
            int tyA = la / tw, tyB = (lb - 1) / tw, prows = tyB - tyA + 2;
            nint phase = (nint)prows * tw;
            float* planes = WinogradPlanes(8 * (int)phase);
            float* xImage = x + ((nint)img * c * plane);
            for (int ch = chA; ch < chB; ch++)
            {
                float* xc = xImage + (ch * plane);

                // Pass 1: padded rows 2·tyA .. 2·tyB + 3 (input rows one above).
                for (int pr = 0; pr < 2 * prows; pr++)
                {
                    int iy = (2 * tyA) + pr - 1;
                    float* dst = planes + ((pr & 1) * 4 * phase) + ((nint)(pr >> 1) * tw);
                    for (int k = 0; k < chunks; k++)
                    {
                        var mk = masks + (5 * k);
                        var (w0, w1, w2, w3) = WinogradRow(xc + (32 * k) - 1, iy, h, wd, mk[0], mk[1], mk[2], mk[3]);
                        float* d = dst + (16 * k);
                        Avx512F.MaskStore(d, mk[4], w0);
                        Avx512F.MaskStore(d + phase, mk[4], w1);
                        Avx512F.MaskStore(d + (2 * phase), mk[4], w2);
                        Avx512F.MaskStore(d + (3 * phase), mk[4], w3);
                    }
                }

                // Pass 2: pieces of up to 16 tiles, none across a panel end.
                int p0 = ch / kStep * kStep, kc = Math.Min(kStep, c - p0);
                float* vc = v + ((nint)p0 * ncPad) + ((nint)(ch - p0) * Nr);
                for (int l = la, col = jl; l < lb;)
                {
                    int len = Math.Min(Math.Min(16, lb - l), Nr - (col % Nr));
                    var store = ShortRuns.Tail(len);
                    float* e = planes + (l - (tyA * tw));
                    float* dst = vc + ((nint)(col / Nr) * Nr * kc) + (col % Nr);
                    for (int sc = 0; sc < 4; sc++)
                    {
                        float* es = e + (sc * phase), os = es + (4 * phase);
                        var r0 = Vector512.Load(es);
                        var r1 = Vector512.Load(os);
                        var r2 = Vector512.Load(es + tw);
                        var r3 = Vector512.Load(os + tw);

                        // Rows of Bᵀ: V_0s = w_0s − w_2s, V_1s = w_1s + w_2s, V_2s = w_2s − w_1s, V_3s = w_1s − w_3s.
                        Avx512F.MaskStore(dst + (sc * pointStride), store, r0 - r2);
                        Avx512F.MaskStore(dst + ((4 + sc) * pointStride), store, r1 + r2);
                        Avx512F.MaskStore(dst + ((8 + sc) * pointStride), store, r2 - r1);
                        Avx512F.MaskStore(dst + ((12 + sc) * pointStride), store, r1 - r3);
                    }

                    l += len;
                    col += len;
                }
            }

            jl += lb - la;
        }

        if (n < ncPad)
        {
            // The last panel's unused columns: zeros (they only reach M's unused columns, but stay finite).
            int panel = n / Nr, from = n % Nr;
            for (int xi = 0; xi < WinogradPoints; xi++)
            {
                for (int ch = chA; ch < chB; ch++)
                {
                    int p0 = ch / kStep * kStep, kc = Math.Min(kStep, c - p0);
                    float* row = v + (xi * pointStride) + ((nint)p0 * ncPad) + ((nint)panel * Nr * kc) + ((nint)(ch - p0) * Nr);
                    new Span<float>(row + from, Nr - from).Clear();
                }
            }
        }
    }

    // This thread's plane scratch of the Winograd transforms: n floats and slack for whole-vector reads past the end.
    private static float* WinogradPlanes(int n) => Gemm.AlignedStart(Im2ColPanels.Buffer(ref t_winoPlanes, n + 64));

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

    // Y = Aᵀ M A (+ bias) for tiles [j0, j0 + n) and output channels [r0, o1) (M's rows from r0, 16 blocks of
    // rows × ncPad), then the epilogue over every run of outputs written.
    // Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]: t0 = m_0 + m_1 + m_2, t1 = m_1 − m_2 − m_3 along each row of M, then the same
    // down the columns. 16 consecutive tiles of an image segment per vector, across tile rows: their two output columns
    // interleaved by a permute into plane rows of 2·tw floats, one plane per output row parity (tile l at 2l from the
    // segment's first tile row), then each tile row's part copied to its two output rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WinogradOutput(float* m, int rows, int ncPad, float* bias, float* y, in ConvGeometry g, int th, int tw,
        long j0, int n, int r0, int o1, ConvEpilogue epilogue)
    {
        int oh = g.OH, ow = g.OW, o = g.O, perImage = th * tw;
        nint ohw = (nint)oh * ow, pointStride = (nint)rows * ncPad;
        for (int jl = 0; jl < n;)
        {
            long j = j0 + jl;
            int img = (int)(j / perImage), la = (int)(j % perImage), lb = Math.Min(perImage, la + (n - jl));
            int tyA = la / tw, tyB = (lb - 1) / tw;

            // The odd plane starts 32 floats past the even one's end: whole-vector stores past the segment land there.
            nint phase = ((nint)(tyB - tyA + 1) * 2 * tw) + 32;
            float* even = WinogradPlanes(2 * (int)phase), odd = even + phase;
            for (int oc = r0; oc < o1; oc++)
            {
                float* mo = m + ((nint)(oc - r0) * ncPad);
                for (int l = la, col = jl; l < lb; l += 16, col += 16)
                {
                    float* mp = mo + col;
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

                    nint at = 2 * (nint)(l - (tyA * tw));
                    Vector512.Store(Avx512F.PermuteVar16x32x2(y00, InterleaveLo, y01), even + at);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(y00, InterleaveHi, y01), even + at + 16);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(y10, InterleaveLo, y11), odd + at);
                    Vector512.Store(Avx512F.PermuteVar16x32x2(y10, InterleaveHi, y11), odd + at + 16);
                }

                float* yPlane = y + ((((nint)img * o) + oc) * ohw);
                for (int ty = tyA; ty <= tyB; ty++)
                {
                    int txa = ty == tyA ? la - (tyA * tw) : 0, txb = ty == tyB ? lb - (tyB * tw) : tw;
                    int c0 = 2 * txa, count = Math.Min(ow, 2 * txb) - c0;
                    nint from = ((nint)(ty - tyA) * 2 * tw) + c0;
                    ShortRuns.Copy(yPlane + ((nint)(2 * ty) * ow) + c0, even + from, count);
                    if ((2 * ty) + 1 < oh)
                    {
                        ShortRuns.Copy(yPlane + ((nint)((2 * ty) + 1) * ow) + c0, odd + from, count);
                    }
                }
            }

            jl += lb - la;
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
