using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Direct forward convolution for maps whose rows fill most of a 16-wide vector (OW ≥ 12, e.g. 14, 16, 28, 32) or
/// with few taps per output (stems), stride 1 or 2, no dilation, one group. im2col + GEMM packs every tap of every
/// position into panels that the GEMM then reads for only O output channels (a stem's K = 9 leaves 9 FMAs per C-tile
/// load and store; a 32-channel layer reuses each packed value 32 times); here a 16-wide run of two output rows keeps
/// 8 output channels of both in registers and adds, for every tap, one vector load per row from a zero-bordered copy
/// of the input times each channel's weight (one broadcast for both rows). Strided convolutions read phase planes
/// (the padded input split by row and column parity, so stride 2 becomes contiguous loads; the multi-image forward of
/// stride-2 convolutions to small maps packs its panels from the same planes). Taps are summed in the im2col row order
/// (c, kh, kw), from +0 with fused multiply-adds, in the GEMM's k blocks (<see cref="Gemm.KStep"/>), each block's sum
/// added to the previous ones (or to the bias) as the micro-kernel's write-back does — the same operations in the same
/// order as the packed path, so the result is bit-identical to it (<c>ConvPackedTests</c>).
/// </summary>
internal static unsafe partial class Conv
{
    /// <summary>Kg up to which the direct kernel takes rows that fill half of their vectors (OW ≥ 8 below 16).</summary>
    internal const int DirectSmallTaps = 32;

    private const int DirectLanes = 16;

    // Output channels per register block (× 2 output rows × 16 positions = 16 accumulators).
    private const int DirectChannels = 8;

    private const int DirectMaxImage = 1 << 16;

    [ThreadStatic]
    private static float[]? t_phase;

    /// <summary>True when <see cref="ForwardDirect"/> computes this convolution on <paramref name="path"/>: AVX-512,
    /// one group, no dilation, stride 1 or 2, not 1×1 (a stride-1 1×1's GEMM reads the stored input; at stride 2 the
    /// phase planes cost more than the GEMM's packing, measured), a padded input image of at most 64 Ki floats, and
    /// output rows that use at least 3/4 of their vector lanes (at least half of them for Kg ≤ 32).</summary>
    internal static bool UsesDirect(in ConvGeometry g, GemmPath path)
    {
        if (path != GemmPath.Avx512 || !Avx512F.IsSupported || g.Groups != 1 || g.Dilation != (1, 1) || g.KH * g.KW == 1
            || g.Stride.H is < 1 or > 2 || g.Stride.W is < 1 or > 2 || g.OW < 1)
        {
            return false;
        }

        // The zero-bordered copy of an image (at most; fewer rows for fewer than 4 images) stays within 256 KB (L2).
        if ((long)g.C * (g.H + (2 * g.Padding.H)) * (g.W + (2 * g.Padding.W)) > DirectMaxImage)
        {
            return false;
        }

        int lanes = DirectLanes * Gemm.CeilDiv(g.OW, DirectLanes);
        return 4 * g.OW >= 3 * lanes || (g.Kg <= DirectSmallTaps && 2 * g.OW >= lanes);
    }

    /// <summary>Multiply-adds a task of the direct forward should reach before it takes a second image.</summary>
    internal const long DirectTaskMacs = 1 << 19;

    /// <summary>For benchmarks: images per task when set (≥ 1), instead of <see cref="DirectImagesPerTask"/>'s rule.</summary>
    internal static int DirectImagesPerTaskOverride;

    /// <summary>
    /// Images per task of the direct forward of <paramref name="g"/>: one, or for images of fewer than
    /// <see cref="DirectTaskMacs"/> multiply-adds (a stem's 1 → 16 channels at 28²: 113 Ki) as many as reach it, at
    /// most 4 and at most N / 16 (so a batch still leaves 16 tasks). From the sizes alone.
    /// </summary>
    internal static int DirectImagesPerTask(in ConvGeometry g)
    {
        if (DirectImagesPerTaskOverride > 0)
        {
            return Math.Min(DirectImagesPerTaskOverride, Math.Max(1, g.N));
        }

        long macs = (long)g.O * g.OH * g.OW * g.Kg;
        long wanted = macs >= DirectTaskMacs ? 1 : Gemm.CeilDiv((int)DirectTaskMacs, (int)Math.Max(1, macs));
        return (int)Math.Clamp(Math.Min(wanted, g.N / 16), 1, 4);
    }

    // Tasks: (images, row range). From 4 images up one or more whole images per task (DirectImagesPerTask); with fewer,
    // an image's rows are cut into up to 4 ranges. From the sizes alone (the results do not depend on the cut either).
    // prepacked: w in PackDirectWeights' layout already (Conv.PackedWeights), or null.
    private static void ForwardDirect(float* x, float* w, float* b, float* y, in ConvGeometry geometry, ConvEpilogue epilogue,
        in DirectCompanion companion = default, float[]? prepacked = null)
    {
        var g = geometry;
        var cp = companion;
        int k = g.Kg, ohw = g.OH * g.OW;
        int cBlocks = cp.IsEmpty ? 0 : Gemm.CeilDiv(cp.O, DirectChannels), mainSize = DirectPackedSize(g.O, k);
        int rowChunks = g.N >= 4 ? 1 : Math.Min(g.OH, 4), rowsPer = Gemm.CeilDiv(g.OH, rowChunks);
        rowChunks = Gemm.CeilDiv(g.OH, rowsPer);
        int perTask = rowChunks == 1 ? DirectImagesPerTask(g) : 1, imageTasks = Gemm.CeilDiv(g.N, perTask);
        // The rented buffer holds the main weights (unless prepacked) followed by the companion's.
        int own = prepacked is null ? mainSize : 0;
        Debug.Assert(prepacked is null || prepacked.Length >= mainSize);
        float[] packed = ArrayPool<float>.Shared.Rent(Math.Max(1, own + (cBlocks * g.C * DirectChannels)));
        try
        {
            fixed (float* pw = packed, pre = prepacked)
            {
                if (prepacked is null)
                {
                    PackDirectWeights(w, g.O, k, pw);
                }

                if (!cp.IsEmpty)
                {
                    PackDirectWeights(cp.W, cp.O, g.C, pw + own);
                }

                nint xa = (nint)x, ya = (nint)y, ba = (nint)b, wa = (nint)(prepacked is null ? pw : pre), ca = (nint)(pw + own);
                Parallelism.For(imageTasks * rowChunks, task =>
                {
                    int it = task / rowChunks, oh0 = task % rowChunks * rowsPer, oh1 = Math.Min(g.OH, oh0 + rowsPer);
                    for (int n = it * perTask, n1 = Math.Min(g.N, n + perTask); n < n1; n++)
                    {
                        var pair = cp.IsEmpty ? default : new DirectCompanion((float*)ca, cp.Y + ((nint)n * cp.O * ohw), cp.O, cp.Epilogue);
                        DirectRows((float*)xa + ((nint)n * g.C * g.H * g.W), (float*)wa, (float*)ba,
                            (float*)ya + ((nint)n * g.O * ohw), g, oh0, oh1, pair);
                        ApplyRows(epilogue, (float*)ya, n, g.O, ohw, oh0, oh1, g.OW);
                        if (!cp.IsEmpty)
                        {
                            ApplyRows(cp.Epilogue, cp.Y, n, cp.O, ohw, oh0, oh1, g.OW);
                        }
                    }
                }, 2L * (g.O + cp.O) * rowsPer * g.OW * k * perTask);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>
    /// True when <see cref="ForwardWithProjection"/> can compute <paramref name="projection"/> — a 1×1 unpadded
    /// convolution of the same input with the same stride (ResNet's downsample) — in <paramref name="g"/>'s direct pass:
    /// <paramref name="g"/> takes the direct kernel, has odd kernel sides padded to keep the centre tap on the 1×1's
    /// positions (padding (KH − 1)/2, (KW − 1)/2), and both have one group and no dilation.
    /// </summary>
    internal static bool CanPairProjection(in ConvGeometry g, in ConvGeometry projection, GemmPath path)
    {
        var p = projection;
        return !UsesWinograd(g, path) && UsesDirect(g, path) && g.KH % 2 == 1 && g.KW % 2 == 1 && g.Padding == ((g.KH - 1) / 2, (g.KW - 1) / 2)
            && p.KH == 1 && p.KW == 1 && p.Padding == (0, 0) && p.Dilation == (1, 1) && p.Groups == 1 && p.Stride == g.Stride
            && p.N == g.N && p.C == g.C && p.H == g.H && p.W == g.W && p.OH == g.OH && p.OW == g.OW;
    }

    /// <summary>
    /// <see cref="Forward"/> of <paramref name="g"/> into <paramref name="y"/> and of the 1×1 <paramref name="projection"/>
    /// (weights <paramref name="wp"/>, no bias) into <paramref name="yp"/> in one pass over x: the projection reads the
    /// centre taps of the phase planes the direct kernel builds anyway, instead of gathering the strided input again.
    /// Each output is the same sum in the same order as its own <see cref="Forward"/> (the GEMM's k blocks, from +0),
    /// so both are bit-identical to the separate calls. Requires <see cref="CanPairProjection"/>.
    /// </summary>
    internal static void ForwardWithProjection(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, in ConvGeometry g,
        ConvEpilogue epilogue, ReadOnlySpan<float> wp, Span<float> yp, in ConvGeometry projection, ConvEpilogue projectionEpilogue,
        float[]? prepacked = null)
    {
        Debug.Assert(CanPairProjection(g, projection, Gemm.Current));
        Debug.Assert(x.Length == g.N * g.C * g.H * g.W && w.Length == g.O * g.Kg && y.Length == g.N * g.O * g.OH * g.OW);
        Debug.Assert(wp.Length == projection.O * g.C && yp.Length == g.N * projection.O * g.OH * g.OW);
        if (y.IsEmpty)
        {
            return;
        }

        fixed (float* px = x, pw = w, py = y, pwp = wp, pyp = yp)
        {
            ForwardDirect(px, pw, null, py, g, epilogue, new DirectCompanion(pwp, pyp, projection.O, projectionEpilogue), prepacked);
        }
    }

    // A 1×1 convolution computed beside the direct one (ForwardWithProjection): its (O × C) weights (packed by
    // ForwardDirect), the output (of the whole batch; of one image in DirectRows) and its epilogue.
    private readonly struct DirectCompanion(float* w, float* y, int o, ConvEpilogue epilogue)
    {
        public readonly float* W = w;
        public readonly float* Y = y;
        public readonly int O = o;
        public readonly ConvEpilogue Epilogue = epilogue;

        public bool IsEmpty => O == 0;
    }

    // Floats PackDirectWeights writes for o channels of k taps.
    private static int DirectPackedSize(int o, int k) => Gemm.CeilDiv(o, DirectChannels) * k * DirectChannels;

    // wpk[(blk·K + t)·8 + i] = w[blk·8 + i, t], zero for channels past O.
    private static void PackDirectWeights(float* w, int o, int k, float* wpk)
    {
        int blocks = Gemm.CeilDiv(o, DirectChannels);
        for (int blk = 0; blk < blocks; blk++)
        {
            for (int t = 0; t < k; t++)
            {
                for (int i = 0; i < DirectChannels; i++)
                {
                    int ch = (blk * DirectChannels) + i;
                    wpk[(((blk * k) + t) * DirectChannels) + i] = ch < o ? w[((nint)ch * k) + t] : 0f;
                }
            }
        }
    }

    // The epilogue on output rows [oh0, oh1) of image n of an (N, O, OH, OW) output.
    private static void ApplyRows(in ConvEpilogue epilogue, float* y, int n, int o, int ohw, int oh0, int oh1, int ow)
    {
        if (epilogue.IsEmpty)
        {
            return;
        }

        for (int ch = 0; ch < o; ch++)
        {
            nint at = ((nint)n * o * ohw) + ((nint)ch * ohw) + ((nint)oh0 * ow);
            epilogue.Apply(y + at, (oh1 - oh0) * ow, ch, at);
        }
    }

    // Output rows [oh0, oh1) of one image. The input rows they read, zero-bordered, as phase planes: plane (c, a, b)
    // holds padded positions (i·sH + a, j·sW + b) for phase rows i = oh0 … and columns j < pwid (one plane per channel
    // at stride 1), then 16 floats of slack that the last run's unused lanes may read. Tap (c, kh, kw) of output
    // (oh, ow) is plane (c, kh mod sH, kw mod sW) at (oh + kh / sH, ow + kw / sW).
    private static void DirectRows(float* x, float* wpk, float* bias, float* y, in ConvGeometry g, int oh0, int oh1,
        in DirectCompanion companion = default)
    {
        int k = g.Kg, sh = g.Stride.H, sw = g.Stride.W;
        int rows = oh1 - oh0 + ((g.KH - 1) / sh), pwid = g.OW + ((g.KW - 1) / sw), plane = rows * pwid;
        int size = (g.C * sh * sw * plane) + pwid + DirectLanes;
        float* slab = Scratch(size);
        new Span<float>(slab, size).Clear();
        FillPhasePlanes(x, slab, g, oh0, rows, pwid);

        int* offsets = stackalloc int[k];
        for (int c = 0, t = 0; c < g.C; c++)
        {
            for (int kh = 0; kh < g.KH; kh++)
            {
                for (int kw = 0; kw < g.KW; kw++)
                {
                    offsets[t++] = ((((c * sh) + (kh % sh)) * sw) + (kw % sw)) * plane + ((kh / sh) * pwid) + (kw / sw);
                }
            }
        }

        // The companion's taps: each channel's centre tap, the position a 1×1 unpadded convolution of the same stride
        // reads.
        int* centre = stackalloc int[companion.IsEmpty ? 1 : g.C];
        if (!companion.IsEmpty)
        {
            for (int c = 0; c < g.C; c++)
            {
                centre[c] = offsets[(c * g.KH * g.KW) + (g.Padding.H * g.KW) + g.Padding.W];
            }
        }

        int ohw = g.OH * g.OW;
        for (int oh = oh0; oh < oh1; oh += 2)
        {
            float* src = slab + ((nint)(oh - oh0) * pwid);
            bool two = oh + 1 < oh1;
            for (int ow0 = 0; ow0 < g.OW; ow0 += DirectLanes)
            {
                int lanes = Math.Min(DirectLanes, g.OW - ow0);
                nint at = ((nint)oh * g.OW) + ow0;
                DirectRun(src + ow0, pwid, offsets, k, wpk, bias, g.O, y + at, ohw, g.OW, two, lanes);
                if (!companion.IsEmpty)
                {
                    DirectRun(src + ow0, pwid, centre, g.C, companion.W, null, companion.O, companion.Y + at, ohw, g.OW, two, lanes);
                }
            }
        }
    }

    // One run of up to 16 positions in one or two output rows, every output channel: blocks of 8 channels, each in
    // the GEMM's k blocks of KStep(k) taps.
    private static void DirectRun(float* src, int pwid, int* offsets, int k, float* wpk, float* bias, int o, float* y, int ohw,
        int ow, bool two, int lanes)
    {
        var mask = ShortRuns.Tail(lanes);
        int blocks = Gemm.CeilDiv(o, DirectChannels), kStep = Gemm.KStep(k);
        for (int blk = 0; blk < blocks; blk++)
        {
            int o0 = blk * DirectChannels, channels = Math.Min(DirectChannels, o - o0);
            float* yo = y + ((nint)o0 * ohw);
            for (int p0 = 0; p0 < k; p0 += kStep)
            {
                float* wk = wpk + ((((nint)blk * k) + p0) * DirectChannels);
                DirectBlock(src, pwid, offsets + p0, Math.Min(kStep, k - p0), wk,
                    p0 == 0 && bias != null ? bias + o0 : null, p0 > 0, yo, ohw, ow, two, channels, lanes, mask);
            }
        }
    }

    // Thread-local pinned buffer for the multi-image forward's phase planes (Scratch holds its output tile).
    private static float* PhaseScratch(int n) => Im2ColPanels.Buffer(ref t_phase, n);

    // The phase planes of DirectRows and of the multi-image stride-2 forward (zeroed by the caller): row i of plane
    // (c, a, b) is padded row (oh0 + i)·sH + a, its columns b, b + sW, …; padded positions outside the input stay zero.
    private static void FillPhasePlanes(float* x, float* slab, in ConvGeometry g, int oh0, int rows, int pwid)
    {
        int sh = g.Stride.H, sw = g.Stride.W, plane = rows * pwid, wp = g.W + (2 * g.Padding.W);
        int lineLength = (2 * DirectLanes * Gemm.CeilDiv(Math.Max(wp, pwid * sw), 2 * DirectLanes)) + (2 * DirectLanes);
        float* line = stackalloc float[lineLength];
        if (sw == 2)
        {
            new Span<float>(line, lineLength).Clear();
        }

        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        for (int c = 0; c < g.C; c++)
        {
            for (int a = 0; a < sh; a++)
            {
                for (int i = 0; i < rows; i++)
                {
                    int ih = ((oh0 + i) * sh) + a - g.Padding.H;
                    if ((uint)ih >= (uint)g.H)
                    {
                        continue;
                    }

                    float* xrow = x + ((((nint)c * g.H) + ih) * g.W);
                    float* p0 = slab + ((nint)((c * sh) + a) * sw * plane) + ((nint)i * pwid);
                    if (sw == 1)
                    {
                        // Padded columns pw … pw + W − 1 hold the row; columns past pwid are not read.
                        int n = Math.Min(g.W, pwid - g.Padding.W);
                        if (n > 0)
                        {
                            ShortRuns.Copy(p0 + g.Padding.W, xrow, n);
                        }

                        continue;
                    }

                    // Stride 2 across: the padded row in a zero-bordered line, then even and odd columns by two-source
                    // permutes, 16 per store (masked at the end of the phase row).
                    ShortRuns.Copy(line + g.Padding.W, xrow, g.W);
                    float* p1 = p0 + plane;
                    for (int j0 = 0; j0 < pwid; j0 += DirectLanes)
                    {
                        var lo = Vector512.Load(line + (2 * j0));
                        var hi = Vector512.Load(line + (2 * j0) + DirectLanes);
                        var e = Avx512F.PermuteVar16x32x2(lo, even, hi);
                        var o = Avx512F.PermuteVar16x32x2(lo, odd, hi);
                        int left = pwid - j0;
                        var m = ShortRuns.Tail(left);
                        Avx512F.MaskStore(p0 + j0, m, e);
                        Avx512F.MaskStore(p1 + j0, m, o);
                    }
                }
            }
        }
    }

    // 8 output channels × 2 output rows (the second at src + pwid, stored only when `two`) × 16 positions, one k block:
    // acc = Σ_t w[i, t]·src[offsets[t] ..] in t order from +0 (fused); then y = acc + bias, acc, or (accumulate)
    // y + acc; channels [0, channels), lanes [0, lanes) (masked below 16), channel planes ohw apart, rows ow apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DirectBlock(float* src, int pwid, int* offsets, int k, float* w, float* bias, bool accumulate, float* y,
        int ohw, int ow, bool two, int channels, int lanes, Vector512<float> mask)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> a6 = default, a7 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> b4 = default, b5 = default, b6 = default, b7 = default;
        float* src1 = src + pwid;
        for (int t = 0; t < k; t++, w += DirectChannels)
        {
            int off = offsets[t];
            var u = Vector512.Load(src + off);
            var v = Vector512.Load(src1 + off);
            var c = Vector512.Create(w[0]);
            a0 = Avx512F.FusedMultiplyAdd(c, u, a0);
            b0 = Avx512F.FusedMultiplyAdd(c, v, b0);
            c = Vector512.Create(w[1]);
            a1 = Avx512F.FusedMultiplyAdd(c, u, a1);
            b1 = Avx512F.FusedMultiplyAdd(c, v, b1);
            c = Vector512.Create(w[2]);
            a2 = Avx512F.FusedMultiplyAdd(c, u, a2);
            b2 = Avx512F.FusedMultiplyAdd(c, v, b2);
            c = Vector512.Create(w[3]);
            a3 = Avx512F.FusedMultiplyAdd(c, u, a3);
            b3 = Avx512F.FusedMultiplyAdd(c, v, b3);
            c = Vector512.Create(w[4]);
            a4 = Avx512F.FusedMultiplyAdd(c, u, a4);
            b4 = Avx512F.FusedMultiplyAdd(c, v, b4);
            c = Vector512.Create(w[5]);
            a5 = Avx512F.FusedMultiplyAdd(c, u, a5);
            b5 = Avx512F.FusedMultiplyAdd(c, v, b5);
            c = Vector512.Create(w[6]);
            a6 = Avx512F.FusedMultiplyAdd(c, u, a6);
            b6 = Avx512F.FusedMultiplyAdd(c, v, b6);
            c = Vector512.Create(w[7]);
            a7 = Avx512F.FusedMultiplyAdd(c, u, a7);
            b7 = Avx512F.FusedMultiplyAdd(c, v, b7);
        }

        DirectStore(y, a0, bias, 0, accumulate, channels, lanes, mask);
        DirectStore(y + ohw, a1, bias, 1, accumulate, channels, lanes, mask);
        DirectStore(y + (2 * (nint)ohw), a2, bias, 2, accumulate, channels, lanes, mask);
        DirectStore(y + (3 * (nint)ohw), a3, bias, 3, accumulate, channels, lanes, mask);
        DirectStore(y + (4 * (nint)ohw), a4, bias, 4, accumulate, channels, lanes, mask);
        DirectStore(y + (5 * (nint)ohw), a5, bias, 5, accumulate, channels, lanes, mask);
        DirectStore(y + (6 * (nint)ohw), a6, bias, 6, accumulate, channels, lanes, mask);
        DirectStore(y + (7 * (nint)ohw), a7, bias, 7, accumulate, channels, lanes, mask);
        if (two)
        {
            float* y1 = y + ow;
            DirectStore(y1, b0, bias, 0, accumulate, channels, lanes, mask);
            DirectStore(y1 + ohw, b1, bias, 1, accumulate, channels, lanes, mask);
            DirectStore(y1 + (2 * (nint)ohw), b2, bias, 2, accumulate, channels, lanes, mask);
            DirectStore(y1 + (3 * (nint)ohw), b3, bias, 3, accumulate, channels, lanes, mask);
            DirectStore(y1 + (4 * (nint)ohw), b4, bias, 4, accumulate, channels, lanes, mask);
            DirectStore(y1 + (5 * (nint)ohw), b5, bias, 5, accumulate, channels, lanes, mask);
            DirectStore(y1 + (6 * (nint)ohw), b6, bias, 6, accumulate, channels, lanes, mask);
            DirectStore(y1 + (7 * (nint)ohw), b7, bias, 7, accumulate, channels, lanes, mask);
        }
    }

    // The GEMM's write-back: acc alone, or acc + C with C the bias (pre-filled) or the earlier k blocks' sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DirectStore(float* y, Vector512<float> acc, float* bias, int i, bool accumulate, int channels, int lanes,
        Vector512<float> mask)
    {
        if (i >= channels)
        {
            return;
        }

        if (accumulate)
        {
            acc = Avx512F.Add(acc, lanes == DirectLanes ? Vector512.Load(y) : Avx512F.MaskLoad(y, mask, Vector512<float>.Zero));
        }
        else if (bias != null)
        {
            acc = Avx512F.Add(acc, Vector512.Create(bias[i]));
        }

        if (lanes == DirectLanes)
        {
            acc.Store(y);
        }
        else
        {
            Avx512F.MaskStore(y, mask, acc);
        }
    }
}
