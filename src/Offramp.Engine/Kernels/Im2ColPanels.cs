using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// im2col written straight into GEMM's packed B panels (an implicit-GEMM pack): the column matrix of
/// <see cref="Im2Col.Forward"/> is never stored whole. A task first copies the input rows its output positions
/// read into a zero-bordered buffer (<see cref="PadRows"/>), so every tap reads in-bounds memory with no range
/// checks; then, per k block, each im2col row segment is gathered into an L1-resident row buffer and copied out in
/// NR-float pieces to <c>dst[panel·NR·kc + p·NR + j]</c>, the layout the micro-kernels stream.
/// </summary>
/// <remarks>
/// Row r = (c·KH + kh)·KW + kw and column j = oh·OW + ow hold x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW] or 0 in
/// the padding — the values of <see cref="Im2Col.Forward"/>, so a GEMM over these panels sums exactly the same
/// products in the same order as one over the stored column matrix. Copies use Vector512 when the CPU has it,
/// else Vector256/Vector128, with a scalar tail.
/// </remarks>
internal static unsafe class Im2ColPanels
{
    [ThreadStatic]
    private static float[]? t_row;

    [ThreadStatic]
    private static float[]? t_padded;

    [ThreadStatic]
    private static float[]? t_images;

    /// <summary>
    /// A zero-bordered copy of the input rows one task reads: padded rows [Row0, Row0 + Rows) of Width; End is the
    /// end of the readable memory (the copy's slack included), which bounds the vector gathers' over-reads.
    /// </summary>
    internal readonly record struct Padded(nint Data, int Row0, int Rows, int Width, nint End);

    // Floats of readable slack after a padded copy and of writable slack after a gathered row (vector over-reads
    // and blend-stores).
    private const int Slack = 32;

    // Lane indices of the even elements of two Vector512 (the stride-2 gather).
    private static readonly Vector512<int> EvenLanes = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    // x: (channels, H, W) → the padded rows that output positions [j0, j0 + n) read, for every channel:
    // (channels, rows, W + 2·pW) with zeros in the padding. Without padding the input itself is used.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Padded PadRows(float* x, in ConvGeometry g, int channels, int j0, int n)
    {
        int oh0 = j0 / g.OW, oh1 = (j0 + n - 1) / g.OW;
        int r0 = oh0 * g.Stride.H, r1 = (oh1 * g.Stride.H) + ((g.KH - 1) * g.Dilation.H) + 1; // padded coordinates
        if (g.Padding == (0, 0))
        {
            return new Padded((nint)x, 0, g.H, g.W, (nint)(x + ((nint)channels * g.H * g.W)));
        }

        int wp = g.W + (2 * g.Padding.W), rows = r1 - r0;
        float* dst = Buffer(ref t_padded, (channels * rows * wp) + Slack);
        PadChannels(x, g, channels, r0, rows, dst);
        return new Padded((nint)dst, r0, rows, wp, (nint)(dst + ((nint)channels * rows * wp) + Slack));
    }

    // x: (channels, H, W) → dst: padded rows [r0, r0 + rows) of every channel, (channels, rows, W + 2·pW), zeros in the
    // padding. A padded row of at most 16 floats (7×7 and 14×14 maps) is one AVX-512 masked load (the input's W
    // floats, the border lanes neither read nor set) and one masked store; wider rows copy the interior and zero
    // the border floats one by one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadChannels(float* x, in ConvGeometry g, int channels, int r0, int rows, float* dst)
    {
        int pw = g.Padding.W, w = g.W, wp = w + (2 * pw), h = g.H, ph = g.Padding.H;
        if (Avx512F.IsSupported && wp <= 16)
        {
            var inner = (Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(pw))
                & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(pw + w))).AsSingle();
            var row = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(wp)).AsSingle();
            for (int c = 0; c < channels; c++)
            {
                float* xc = x + ((nint)c * h * w) - pw;
                float* dc = dst + ((nint)c * rows * wp);
                for (int r = 0; r < rows; r++)
                {
                    int ih = r0 + r - ph;
                    var v = (uint)ih < (uint)h ? Avx512F.MaskLoad(xc + ((nint)ih * w), inner, Vector512<float>.Zero) : Vector512<float>.Zero;
                    Avx512F.MaskStore(dc + ((nint)r * wp), row, v);
                }
            }

            return;
        }

        for (int c = 0; c < channels; c++)
        {
            float* xc = x + ((nint)c * h * w);
            float* dc = dst + ((nint)c * rows * wp);
            for (int r = 0; r < rows; r++)
            {
                int ih = r0 + r - ph;
                float* d = dc + ((nint)r * wp);
                if ((uint)ih >= (uint)h)
                {
                    new Span<float>(d, wp).Clear();
                    continue;
                }

                for (int q = 0; q < pw; q++)
                {
                    d[q] = 0f;
                    d[pw + w + q] = 0f;
                }

                ShortRuns.Copy(d + pw, xc + ((nint)ih * w), w);
            }
        }
    }

    // xp: PadRows of the group's channels; im2col rows [p0, p0 + kc), columns [j0, j0 + n) (the range xp was
    // padded for) → dst: ⌈n / nr⌉ panels of (kc × nr), p-major, columns past n zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(Padded xp, in ConvGeometry g, int p0, int kc, int j0, int n, int nr, float* dst)
    {
        if (CanPackRuns(g, nr, n) && kc >= MinRunRows)
        {
            PackRuns(xp, 0, g, p0, kc, j0, n, dst);
            return;
        }

        int nPad = Gemm.RoundUp(n, nr);
        float* row = Buffer(ref t_row, nPad + Slack);
        new Span<float>(row + n, nPad - n).Clear();
        for (int p = 0; p < kc; p++)
        {
            GatherRow(xp, g, p0 + p, j0, n, row);
            Scatter(row, nPad, nr, kc, dst + ((nint)p * nr));
        }
    }

    // PackRuns serves output rows at least this wide (a 16-lane vector then spans at most 5 of them) and column ranges
    // of at most this many columns (its run table lives on the stack).
    private const int MinRunWidth = 4, MaxRunColumns = 1024;

    // Pack uses the run table only for k blocks of at least this many rows (building it costs about as much as packing
    // a few rows: a 1-channel stem's 9 rows measured slower with it).
    private const int MinRunRows = 16;

    /// <summary>True when <see cref="PackRuns"/> serves a pack of <paramref name="n"/> columns into panels of
    /// <paramref name="nr"/>.</summary>
    public static bool CanPackRuns(in ConvGeometry g, int nr, int n) =>
        Avx512F.IsSupported && nr == 32 && g.Stride.W == 1 && g.OW >= MinRunWidth && Gemm.RoundUp(n, 32) <= MaxRunColumns;

    // x: `count` images (channels, H, W), consecutive → dst: each image's (channels, H + 2·pH, W + 2·pW) zero-bordered
    // copy, consecutive (image stride ImageStride(g, channels)), plus Slack floats. Returns the Padded view of image 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Padded PadImages(float* x, in ConvGeometry g, int channels, int count)
    {
        int hp = g.H + (2 * g.Padding.H), wp = g.W + (2 * g.Padding.W);
        nint stride = ImageStride(g, channels);
        float* dst = Buffer(ref t_images, (int)(stride * count) + Slack);
        for (int i = 0; i < count; i++)
        {
            PadChannels(x + ((nint)i * channels * g.H * g.W), g, channels, 0, hp, dst + (i * stride));
        }

        return new Padded((nint)dst, 0, hp, wp, (nint)(dst + (stride * count) + Slack));
    }

    /// <summary>Floats between consecutive images of <see cref="PadImages"/>.</summary>
    public static nint ImageStride(in ConvGeometry g, int channels) =>
        (nint)channels * (g.H + (2 * g.Padding.H)) * (g.W + (2 * g.Padding.W));

    // Pack for a horizontal stride of 1 with AVX-512 and 32-wide panels: each 16-column half of a panel row is
    // assembled in a register from one zero-masked load per output row it spans (those columns read consecutive
    // pixels of one padded input row) and stored once; no row buffer, so no store is forwarded to a load. Which lanes
    // each load fills, and from where relative to the im2col row's first tap, depends only on the columns, so the
    // runs are worked out once per call. The values are Pack's (columns past n zero): they are moved, not computed.
    // Columns may run over several images (PadImages, imageStride > 0): column q is output position q mod OH·OW of
    // image q / (OH·OW) — the column matrices of consecutive images side by side.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRuns(Padded xp, nint imageStride, in ConvGeometry g, int p0, int kc, int j0, int n, float* dst)
    {
        int vecs = Gemm.RoundUp(n, 32) / 16, maxRuns = MaxRuns(vecs, g.OW);
        var masks = stackalloc Vector512<float>[maxRuns];
        var offsets = stackalloc nint[maxRuns];
        var first = stackalloc int[vecs + 1];
        BuildRuns(j0, n, g.OH * g.OW, g.OW, imageStride, (nint)g.Stride.H * xp.Width, masks, offsets, first);
        int khw = g.KH * g.KW;
        nint plane = (nint)xp.Rows * xp.Width;
        for (int p = 0; p < kc; p++)
        {
            int r = p0 + p, c = r / khw, t = r - (c * khw), kh = t / g.KW, kw = t - (kh * g.KW);
            float* tap = (float*)xp.Data + (c * plane) + ((nint)((kh * g.Dilation.H) - xp.Row0) * xp.Width) + (kw * g.Dilation.W);
            FillRow(tap, masks, offsets, first, vecs, dst + ((nint)p * 32), kc);
        }
    }

    /// <summary>True when <see cref="PackRunsPhased"/> serves a stride-2 pack of <paramref name="n"/> columns into
    /// panels of <paramref name="nr"/>.</summary>
    public static bool CanPackRunsPhased(in ConvGeometry g, int nr, int n) =>
        Avx512F.IsSupported && nr == 32 && g.Stride == (2, 2) && g.Dilation == (1, 1) && g.KH * g.KW > 1
        && g.OW >= MinRunWidth && Gemm.RoundUp(n, 32) <= MaxRunColumns;

    // PackRuns for stride (2, 2) over phase planes (Conv.FillPhasePlanes, images side by side): plane (c, a, b) of an
    // image holds its padded positions (2i + a, 2j + b), pwid columns per row, `plane` floats per plane, images
    // imageStride apart. Tap (c, kh, kw) of output (oh, ow) is plane (c, kh mod 2, kw mod 2) at (oh + kh / 2,
    // ow + kw / 2): runs of output rows are consecutive there, so the run table is PackRuns' with a row stride of pwid.
    // The values are Pack's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRunsPhased(float* planes, int pwid, nint plane, nint imageStride, in ConvGeometry g, int p0, int kc, int n,
        float* dst)
    {
        int vecs = Gemm.RoundUp(n, 32) / 16, maxRuns = MaxRuns(vecs, g.OW);
        var masks = stackalloc Vector512<float>[maxRuns];
        var offsets = stackalloc nint[maxRuns];
        var first = stackalloc int[vecs + 1];
        BuildRuns(0, n, g.OH * g.OW, g.OW, imageStride, pwid, masks, offsets, first);
        int khw = g.KH * g.KW;
        for (int p = 0; p < kc; p++)
        {
            int r = p0 + p, c = r / khw, t = r - (c * khw), kh = t / g.KW, kw = t - (kh * g.KW);
            float* tap = planes + ((((c * 2) + (kh & 1)) * 2) + (kw & 1)) * plane + ((nint)(kh >> 1) * pwid) + (kw >> 1);
            FillRow(tap, masks, offsets, first, vecs, dst + ((nint)p * 32), kc);
        }
    }

    // Panels of a stored matrix of several images side by side: op(B)[p, q] = b[img·imageStride + p·perImage + q − img·perImage]
    // for img = q / perImage — e.g. the output gradients (O × OH·OW each) of consecutive images, rows p = channels.
    // Rows [p0, p0 + kc), columns [0, n) → 32-wide panels as PackRuns writes them (AVX-512 only; CanPackRuns).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackImageRows(float* b, nint imageStride, int perImage, int p0, int kc, int n, float* dst)
    {
        int vecs = Gemm.RoundUp(n, 32) / 16, maxRuns = MaxRuns(vecs, perImage);
        var masks = stackalloc Vector512<float>[maxRuns];
        var offsets = stackalloc nint[maxRuns];
        var first = stackalloc int[vecs + 1];
        BuildRuns(0, n, perImage, perImage, imageStride, 0, masks, offsets, first);
        for (int p = 0; p < kc; p++)
        {
            FillRow(b + ((nint)(p0 + p) * perImage), masks, offsets, first, vecs, dst + ((nint)p * 32), kc);
        }
    }

    private static int MaxRuns(int vecs, int runLength) => vecs * (((15 + runLength - 1) / runLength) + 1);

    // The run table of columns [j0, j0 + n): column q is position q − img·perImage of image img = q / perImage, and
    // positions come in runs of runLength consecutive floats (an output row), run s of an image starting s·runStride
    // after the image's start (imageStride apart). For each 16-column vector v: runs [first[v], first[v + 1]), each a
    // lane mask and the offset from which lane l reads (offset + l).
    private static void BuildRuns(int j0, int n, int perImage, int runLength, nint imageStride, nint runStride,
        Vector512<float>* masks, nint* offsets, int* first)
    {
        var lanes = Vector512<int>.Indices;
        int vecs = Gemm.RoundUp(n, 32) / 16, runs = 0;
        for (int v = 0; v < vecs; v++)
        {
            first[v] = runs;
            int q0 = j0 + (16 * v), q1 = Math.Min(j0 + n, q0 + 16);
            for (int q = q0; q < q1;)
            {
                int img = q / perImage, run = (q - (img * perImage)) / runLength, runStart = (img * perImage) + (run * runLength);
                int end = Math.Min(q1, runStart + runLength);
                // Lanes [q − q0, end − q0) read run `run` of image img; lane l reads its element q0 + l − runStart.
                masks[runs] = (Vector512.GreaterThanOrEqual(lanes, Vector512.Create(q - q0))
                    & Vector512.LessThan(lanes, Vector512.Create(end - q0))).AsSingle();
                offsets[runs] = (img * imageStride) + (run * runStride) + q0 - runStart;
                runs++;
                q = end;
            }
        }

        first[vecs] = runs;
    }

    // One panel row p (d = dst + p·32) of every panel from the run table, relative to `src`.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillRow(float* src, Vector512<float>* masks, nint* offsets, int* first, int vecs, float* d, int kc)
    {
        for (int v = 0; v < vecs; v++)
        {
            var acc = Vector512<uint>.Zero;
            for (int k = first[v]; k < first[v + 1]; k++)
            {
                acc |= Avx512F.MaskLoad(src + offsets[k], masks[k], Vector512<float>.Zero).AsUInt32();
            }

            acc.AsSingle().Store(d + ((nint)(v >> 1) * 32 * kc) + ((v & 1) * 16));
        }
    }

    // The transposed pack, for the weight gradient's op(B) = colᵀ: xp: PadRows(…, 0, OH·OW) of the group's
    // channels; op(B)[p, j] = col[j, p] for output positions p in [p0, p0 + kc) and im2col rows j in [j0, j0 + n)
    // → dst: ⌈n / nr⌉ panels of (kc × nr), p-major, columns past n zero. Each panel's nr rows are gathered, then
    // transposed into place (the values and layout of Gemm's own PackB of a stored colᵀ).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposed(Padded xp, in ConvGeometry g, int p0, int kc, int j0, int n, int nr, float* dst)
    {
        if (Avx512F.IsSupported && nr % 16 == 0 && n >= 16)
        {
            PackTransposedGather(xp, g, p0, kc, j0, n, nr, dst);
            return;
        }

        float* tmp = Buffer(ref t_row, (nr * kc) + Slack);
        for (int jr = 0; jr < n; jr += nr)
        {
            int cols = Math.Min(nr, n - jr);
            for (int jj = 0; jj < cols; jj++)
            {
                GatherRow(xp, g, j0 + jr + jj, p0, kc, tmp + ((nint)jj * kc));
            }

            float* d = dst + ((nint)jr * kc);
            if (cols < nr)
            {
                new Span<float>(d, nr * kc).Clear();
            }

            Gemm.TransposeBlock(tmp, kc, cols, kc, d, nr, 1f);
        }
    }

    // PackTransposed with AVX-512 gathers: panel row p (an output position) is, for each of its nr columns (im2col
    // rows (c, kh, kw)), xp at a fixed offset from the position's base address, so each 16 columns are two 8-lane
    // gathers (.NET has no 16-lane one) with index vectors built once per panel. Columns past n in the last panel
    // are 0 (their lanes gather the panel's first column and are then cleared; a 16-column group with none of the
    // n is stored as zeros). Used when the conv has 16+ columns (a 1-channel stem's 9 keep the copy + transpose).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedGather(Padded xp, in ConvGeometry g, int p0, int kc, int j0, int n, int nr, float* dst)
    {
        int khw = g.KH * g.KW, ow_ = g.OW, plane = xp.Rows * xp.Width;
        nint rowStep = (nint)g.Stride.H * xp.Width, colStep = g.Stride.W;
        int* off = stackalloc int[nr];
        for (int jr = 0; jr < n; jr += nr)
        {
            int cols = Math.Min(nr, n - jr);
            for (int jj = 0; jj < nr; jj++)
            {
                int r = j0 + jr + (jj < cols ? jj : 0);
                int c = r / khw, t = r - (c * khw), kh = t / g.KW, kw = t - (kh * g.KW);
                off[jj] = (c * plane) + (((kh * g.Dilation.H) - xp.Row0) * xp.Width) + (kw * g.Dilation.W);
            }

            float* d = dst + ((nint)jr * kc);
            int oh = p0 / ow_, ow = p0 - (oh * ow_);
            float* rowBase = (float*)xp.Data + (oh * rowStep);
            for (int q = 0; q < nr; q += 16)
            {
                float* dq = d + q;
                if (q >= cols)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        Vector512<float>.Zero.Store(dq + ((nint)p * nr));
                    }

                    continue;
                }

                var lo = Vector256.Load(off + q);
                var hi = Vector256.Load(off + q + 8);
                var keep = Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(q), Vector512.Create(cols)).AsSingle();
                bool full = q + 16 <= cols;
                int w = ow;
                float* rb = rowBase;
                for (int p = 0; p < kc; p++)
                {
                    float* b = rb + (w * colStep);
                    var v = Vector512.Create(Avx2.GatherVector256(b, lo, 4), Avx2.GatherVector256(b, hi, 4));
                    (full ? v : v & keep).Store(dq + ((nint)p * nr));
                    if (++w == ow_)
                    {
                        w = 0;
                        rb += rowStep;
                    }
                }
            }
        }
    }

    // row[0 .. n) = im2col row r over output positions [j0, j0 + n), walked one output row (oh) at a time: a copy
    // per output row at stride 1, a strided gather otherwise. No bounds checks: xp holds the padding.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherRow(Padded xp, in ConvGeometry g, int r, int j0, int n, float* row)
    {
        int khw = g.KH * g.KW, ow_ = g.OW, sW = g.Stride.W;
        int c = r / khw, t = r - (c * khw), kh = t / g.KW, kw = t - (kh * g.KW);
        float* tap = (float*)xp.Data + ((nint)c * xp.Rows * xp.Width) + ((nint)((kh * g.Dilation.H) - xp.Row0) * xp.Width)
            + (kw * g.Dilation.W);
        int oh = j0 / ow_, ow0 = j0 - (oh * ow_);
        for (int j = 0; j < n; oh++, ow0 = 0)
        {
            int len = Math.Min(ow_ - ow0, n - j);
            float* src = tap + ((nint)oh * g.Stride.H * xp.Width) + ((nint)ow0 * sW);
            if (sW == 1)
            {
                ShortRuns.Copy(row + j, src, len);
            }
            else
            {
                int q = sW == 2 && Avx512F.IsSupported ? GatherEven(row + j, src, len, (float*)xp.End) : 0;
                for (; q < len; q++)
                {
                    row[j + q] = src[q * sW];
                }
            }

            j += len;
        }
    }

    // dst[q] = src[2q] for q in [0, len) with AVX-512 (two loads, one two-source permute per 16 values) while the
    // 32-float loads stay below `end`; a last partial block is blended into dst (dst has Slack floats after len).
    // Returns how many values it wrote; the caller gathers the rest one by one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int GatherEven(float* dst, float* src, int len, float* end)
    {
        int q = 0;
        for (; q + 16 <= len && src + (2 * q) + 32 <= end; q += 16)
        {
            Evens(src + (2 * q)).Store(dst + q);
        }

        if (q < len && src + (2 * q) + 32 <= end)
        {
            var keep = ShortRuns.Tail(len - q);
            Vector512.ConditionalSelect(keep, Evens(src + (2 * q)), Vector512.Load(dst + q)).Store(dst + q);
            q = len;
        }

        return q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Evens(float* p) =>
        Avx512F.PermuteVar16x32x2(Vector512.Load(p), EvenLanes, Vector512.Load(p + 16));

    // row[0 .. nPad) → d[jr·kc .. + nr) for each panel jr (nr is 32, 16 or 4).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter(float* row, int nPad, int nr, int kc, float* d)
    {
        nint stride = (nint)nr * kc;
        if (nr == 32 && Vector512.IsHardwareAccelerated)
        {
            for (int jr = 0; jr < nPad; jr += 32, d += stride)
            {
                Vector512.Store(Vector512.Load(row + jr), d);
                Vector512.Store(Vector512.Load(row + jr + 16), d + 16);
            }

            return;
        }

        for (int jr = 0; jr < nPad; jr += nr, d += stride)
        {
            for (int q = 0; q < nr; q += 4)
            {
                Vector128.Store(Vector128.Load(row + jr + q), d + q);
            }
        }
    }

    // Thread-local pinned buffer, grown on demand (at least 1,024 floats); the convolution's scratch buffers use it too.
    internal static float* Buffer(ref float[]? buffer, int n)
    {
        if (buffer is null || buffer.Length < n)
        {
            buffer = GC.AllocateUninitializedArray<float>(Math.Max(n, 1024), pinned: true);
        }

        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
    }
}
