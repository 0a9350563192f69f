using System.Buffers;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Float32 convolution as im2col + GEMM per image and group (PyTorch's slow_conv2d / Caffe): for image n and group
/// g, Y_g (Og × OH·OW) = W_g (Og × Kg) · col_g (Kg × OH·OW). The forward pass packs the weights once per call (or, under
/// <see cref="FrozenWeights"/>, takes them packed once for many calls: <see cref="PackedWeights"/>) and
/// writes im2col straight into GEMM's B panels (<see cref="Im2ColPanels"/>); a 1×1 stride-1 unpadded convolution
/// packs the input itself; stems and maps with rows of 12+ columns take the direct kernel instead
/// (<c>Conv.Direct.cs</c>, the same sums); 3×3 stride-1 convolutions of 48+ channels take Winograd F(2×2, 3×3)
/// (<c>Conv.Winograd.cs</c>: fewer multiplications, different rounding). The input gradient packs W_gᵀ once per call. Tasks are cut from the sizes alone
/// (<see cref="ConvTiles"/>) and every output is summed in one fixed order, so results do not depend on the
/// thread count.
/// </summary>
internal static unsafe partial class Conv
{
    [ThreadStatic]
    private static float[]? t_col;

    // x: (N, C, H, W), w: (O, C/groups, KH, KW), b: (O) or empty → y: (N, O, OH, OW), overwritten.
    // Each group's weights are packed once; each task (image, row range, column range; ConvTiles) writes its
    // im2col straight into GEMM panels (Im2ColPanels) — or packs the input itself for a pointwise convolution.
    // An epilogue (ConvEpilogue: eval BatchNorm, residual, ReLU) is applied to each task's tile right after its GEMM.
    // prepacked: the weights already in this call's layout (PackedWeights, under FrozenWeights), or null to pack them.
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, ConvGeometry g,
        ConvEpilogue epilogue = default, float[]? prepacked = null)
    {
        Debug.Assert(x.Length == g.N * g.C * g.H * g.W && w.Length == g.O * g.Kg && y.Length == g.N * g.O * g.OH * g.OW);
        if (y.IsEmpty)
        {
            return;
        }

        var path = Gemm.Current;
        if (UsesWinograd(g, path))
        {
            fixed (float* px = x, pw = w, pb = b, py = y)
            {
                ForwardWinograd(px, pw, pb, py, g, epilogue, prepacked);
            }

            return;
        }

        if (UsesDirect(g, path))
        {
            fixed (float* px = x, pw = w, pb = b, py = y)
            {
                ForwardDirect(px, pw, pb, py, g, epilogue, prepacked: prepacked);
            }

            return;
        }

        int aSize = Gemm.PackedASize(path, g.Og, g.Kg);
        int imagesPerTask = ImagesPerTask(g, Gemm.PanelWidth(path));
        float[] packed = prepacked ?? ArrayPool<float>.Shared.Rent(Math.Max(1, aSize * g.Groups));
        Debug.Assert(packed.Length >= aSize * g.Groups);
        try
        {
            fixed (float* px = x, pw = w, pb = b, py = y, pp = packed)
            {
                if (prepacked is null)
                {
                    PackGroups(path, pw, g.Og, g.Kg, g.Groups, pp);
                }

                if (imagesPerTask > 1)
                {
                    ForwardImages(path, px, pp, pb, py, g, imagesPerTask, epilogue);
                    return;
                }

                nint xa = (nint)px, ya = (nint)py, ba = (nint)pb, pa = (nint)pp;
                bool hasBias = !b.IsEmpty;
                int ohw = g.OH * g.OW, nr = Gemm.PanelWidth(path);
                var tiles = ConvTiles.For(g.N, g.Og, ohw);
                Parallelism.For(g.N * tiles.PerImage, t =>
                {
                    int n = t / tiles.PerImage, rb = t % tiles.PerImage / tiles.ColChunks, cc = t % tiles.ColChunks;
                    int i0 = rb * tiles.Rows, rows = Math.Min(tiles.Rows, g.Og - i0);
                    int j0 = cc * tiles.Cols, cols = Math.Min(tiles.Cols, ohw - j0);
                    float* xn = (float*)xa + ((nint)n * g.C * g.H * g.W);
                    float* yn = (float*)ya + ((nint)n * g.O * ohw);
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        float* xg = xn + ((nint)grp * g.Cg * g.H * g.W);
                        float* yc = yn + ((nint)((grp * g.Og) + i0) * ohw) + j0;
                        if (hasBias)
                        {
                            for (int o = 0; o < rows; o++)
                            {
                                new Span<float>(yc + ((nint)o * ohw), cols).Fill(((float*)ba)[(grp * g.Og) + i0 + o]);
                            }
                        }

                        PanelPacker pack;
                        if (g.IsPointwise)
                        {
                            pack = Gemm.StoredPanels(path, false, xg, ohw, j0, cols);
                        }
                        else
                        {
                            var xp = Im2ColPanels.PadRows(xg, g, g.Cg, j0, cols);
                            pack = (p0, kc, dst) => Im2ColPanels.Pack(xp, g, p0, kc, j0, cols, nr, dst);
                        }
                        Gemm.MultiplyPackedA(path, (float*)pa + ((nint)grp * aSize), g.Og, i0, rows, cols, g.Kg, pack,
                            hasBias ? 1f : 0f, yc, ohw);
                        if (!epilogue.IsEmpty)
                        {
                            for (int o = 0; o < rows; o++)
                            {
                                int ch = (grp * g.Og) + i0 + o;
                                epilogue.Apply(yc + ((nint)o * ohw), cols, ch, ((((nint)n * g.O) + ch) * ohw) + j0);
                            }
                        }
                    }
                }, 2L * tiles.Rows * tiles.Cols * g.Kg * g.Groups);
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

    /// <summary>
    /// Under <see cref="FrozenWeights"/>: <paramref name="w"/> packed once for <see cref="Forward"/> of
    /// <paramref name="g"/> (the 16 transformed matrices when Winograd takes <paramref name="g"/>, the direct kernel's
    /// layout when it does, else the GEMM's packed A of every group), reused while the scope stays open; null outside a scope, for float64 weights, or with no work.
    /// </summary>
    internal static float[]? PackedWeights(Tensor w, in ConvGeometry g)
    {
        if (!FrozenWeights.IsActive || w.DType != DType.Float32 || g.O == 0 || g.Kg == 0)
        {
            return null;
        }

        var path = Gemm.Current;
        bool winograd = UsesWinograd(g, path), direct = !winograd && UsesDirect(g, path);
        int o = g.O, og = g.Og, kg = g.Kg, groups = g.Groups, c = g.C;
        return FrozenWeights.GetOrPack(w, (path, winograd, direct, o, kg, groups), () =>
        {
            var src = w.Span;
            fixed (float* pw = src)
            {
                int size = winograd ? WinogradPackedSize(path, o, c)
                    : direct ? DirectPackedSize(o, kg) : Gemm.PackedASize(path, og, kg) * groups;
                var packed = GC.AllocateUninitializedArray<float>(Math.Max(1, size), pinned: true);
                fixed (float* pp = packed)
                {
                    if (winograd)
                    {
                        PackWinogradWeights(path, pw, o, c, pp);
                    }
                    else if (direct)
                    {
                        PackDirectWeights(pw, o, kg, pp);
                    }
                    else
                    {
                        PackGroups(path, pw, og, kg, groups, pp);
                    }
                }

                return packed;
            }
        });
    }

    // Each group's (og × kg) weights as the GEMM's packed A, PackedASize(path, og, kg) floats apart.
    private static void PackGroups(GemmPath path, float* w, int og, int kg, int groups, float* dst)
    {
        int aSize = Gemm.PackedASize(path, og, kg);
        for (int grp = 0; grp < groups; grp++)
        {
            Gemm.PackAAll(path, false, w + ((nint)grp * og * kg), kg, og, kg, 1f, dst + ((nint)grp * aSize));
        }
    }

    // Images one forward task covers (1 = one task per image and column range). Small feature maps (an OH·OW that is
    // not a multiple of the panel width, up to 256 positions) waste much of their last panel on padding when each
    // image is its own GEMM (49 positions fill 64 columns); several images side by side share the panels. From 32
    // images at least 16 tasks are left for the threads; below, two. From the sizes alone, so results do not depend
    // on the thread count — and as every output is the same sum in the same order either way, they do not depend on
    // this choice either.
    private const int MultiImageColumns = 512;

    internal static int ImagesPerTask(in ConvGeometry g, int nr) =>
        Im2ColPanels.CanPackRuns(g, nr, 2 * g.OH * g.OW) || Im2ColPanels.CanPackRunsPhased(g, nr, 2 * g.OH * g.OW)
            ? SideBySide(g, nr) : 1;

    // Images one input-gradient task covers: as ImagesPerTask, for the dcol GEMM (its columns are the output positions
    // of the images). Horizontal stride 1 only: col2im then reads the slice in registers (and at stride 2 the
    // multi-image dcol measured slower than one image at a time).
    internal static int ImagesPerTaskInputGrad(in ConvGeometry g, int nr) =>
        Avx512F.IsSupported && nr == 32 && g.Stride.W == 1 ? SideBySide(g, nr) : 1;

    // The conditions and count both kinds of task share: a batch, one group, not pointwise (whose GEMM already reads
    // the stored input), a small map that wastes part of its last panel.
    private static int SideBySide(in ConvGeometry g, int nr)
    {
        int ohw = g.OH * g.OW;
        if (g.N < 2 || g.Groups != 1 || g.IsPointwise || ohw > 256 || ohw % nr == 0)
        {
            return 1;
        }

        int most = MultiImageColumns / ohw;
        if (g.N >= 32)
        {
            return Math.Max(1, Math.Min(most, g.N / 16));
        }

        // A small batch (what goes on past an early exit) cannot leave 16 tasks; it keeps two, and takes the image count
        // up to half the batch whose columns fill their panels best (the fewest on a tie): 5 images of 49 positions
        // fill 245 of 256 columns where one fills 49 of 64.
        int best = 1;
        double bestFill = Fill(1);
        for (int p = 2; p <= Math.Min(most, (g.N + 1) / 2); p++)
        {
            double fill = Fill(p);
            if (fill > bestFill)
            {
                (best, bestFill) = (p, fill);
            }
        }

        return best;

        double Fill(int images) => images * ohw / (double)(nr * Gemm.CeilDiv(images * ohw, nr));
    }

    // Forward with several images per task (ImagesPerTask): their padded copies side by side (PadImages), one GEMM
    // over all their columns into a scratch tile (bias first, as Forward does), then each image's rows copied to y and
    // the epilogue applied. packedA: PackAAll of the (O × Kg) weights.
    private static void ForwardImages(GemmPath path, float* x, float* packedA, float* b, float* y, ConvGeometry g, int perTask,
        ConvEpilogue epilogue)
    {
        int ohw = g.OH * g.OW, tasks = Gemm.CeilDiv(g.N, perTask), chw = g.C * g.H * g.W;
        bool phased = g.Stride.W != 1;
        int pwid = g.OW + ((g.KW - 1) / 2), prows = g.OH + ((g.KH - 1) / 2);
        nint xa = (nint)x, ya = (nint)y, ba = (nint)b, pa = (nint)packedA;
        nint imageStride = phased ? (nint)g.C * 4 * prows * pwid : Im2ColPanels.ImageStride(g, g.C);
        Parallelism.For(tasks, t =>
        {
            int n0 = t * perTask, count = Math.Min(perTask, g.N - n0), cols = count * ohw;
            PanelPacker pack;
            if (phased)
            {
                // Stride 2: each image's phase planes (the vectorised split of the direct kernel), side by side.
                int size = (int)(imageStride * count) + pwid + DirectLanes;
                float* planes = PhaseScratch(size);
                new Span<float>(planes, size).Clear();
                for (int i = 0; i < count; i++)
                {
                    FillPhasePlanes((float*)xa + ((nint)(n0 + i) * chw), planes + (i * imageStride), g, 0, prows, pwid);
                }

                pack = (p0, kc, dst) => Im2ColPanels.PackRunsPhased(planes, pwid, (nint)prows * pwid, imageStride, g, p0, kc, cols, dst);
            }
            else
            {
                var xp = Im2ColPanels.PadImages((float*)xa + ((nint)n0 * chw), g, g.C, count);
                pack = (p0, kc, dst) => Im2ColPanels.PackRuns(xp, imageStride, g, p0, kc, 0, cols, dst);
            }

            float* tile = Scratch(g.O * cols);
            if (ba != 0)
            {
                for (int o = 0; o < g.O; o++)
                {
                    new Span<float>(tile + ((nint)o * cols), cols).Fill(((float*)ba)[o]);
                }
            }

            Gemm.MultiplyPackedA(path, (float*)pa, g.O, 0, g.O, cols, g.Kg, pack, ba != 0 ? 1f : 0f, tile, cols);
            for (int i = 0; i < count; i++)
            {
                int n = n0 + i;
                for (int o = 0; o < g.O; o++)
                {
                    float* yo = (float*)ya + ((((nint)n * g.O) + o) * ohw);
                    ShortRuns.Copy(yo, tile + ((nint)o * cols) + ((nint)i * ohw), ohw);
                    if (!epilogue.IsEmpty)
                    {
                        epilogue.Apply(yo, ohw, o, (((nint)n * g.O) + o) * ohw);
                    }
                }
            }
        }, 2L * perTask * g.O * ohw * g.Kg);
    }

    // gy: (N, O, OH, OW), w: (O, C/groups, KH, KW) → gx: (N, C, H, W), overwritten.
    // Per image: dcol_g (Kg × OH·OW) = W_gᵀ · gY_g, then col2im into gx. W_gᵀ is packed once for the whole batch.
    // Several images: one task per image; a single image: its dcol rows are split into tasks, then col2im.
    public static void BackwardInput(ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx, ConvGeometry g)
    {
        if (gx.IsEmpty)
        {
            return;
        }

        if (InputGradAsForward(g))
        {
            BackwardInputAsForward(gy, w, gx, g);
            return;
        }

        BackwardInputCol2Im(gy, w, gx, g);
    }

    // Whether the input gradient runs as a forward convolution (BackwardInputAsForward): stride 1, no dilation, one
    // group, a kernel larger than 1×1, padding at most kernel − 1, 16+ channels in and out (the turned convolution has
    // C outputs: a 1-channel stem's would be a one-row GEMM, 1.7× slower than col2im), on the AVX-512 GEMM path, where the
    // forward's multi-image panels beat the dcol GEMM + col2im (`--quick --conv-parts --threads 1`, CPU time, batch 128:
    // resnet_fm's 96-channel 7×7 layers 119.7 against 102.1 GFLOP/s; its 32-channel 14×14 ones 111.7 against 110.9).
    internal static bool InputGradAsForward(in ConvGeometry g) =>
        g.Stride == (1, 1) && g.Dilation == (1, 1) && g.Groups == 1 && g.KH * g.KW > 1 && g.C >= 16 && g.O >= 16
        && g.Padding.H <= g.KH - 1
        && g.Padding.W <= g.KW - 1 && Gemm.Current == GemmPath.Avx512 && !s_forceIm2Col.Off;

    private static readonly FastPathSwitch s_forceIm2Col = new();

    /// <summary>Sends input gradients in this async flow to the dcol GEMM + col2im path (no turned-kernel forward)
    /// until the scope is disposed (tests and benchmarks compare the two).</summary>
    internal static FastPathSwitch.Scope ForceIm2Col() => s_forceIm2Col.TurnOff();

    // gX of a stride-1 convolution is the forward convolution of gY with the kernel turned 180° and its channel axes
    // swapped — w'(c, o, ky, kx) = w(o, c, KH−1−ky, KW−1−kx) — padded by KH−1−padH, KW−1−padW; its output is H × W.
    internal static void BackwardInputAsForward(ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx, ConvGeometry g)
    {
        int taps = g.KH * g.KW;
        float[] flipped = ArrayPool<float>.Shared.Rent(g.O * g.C * taps);
        try
        {
            for (int o = 0; o < g.O; o++)
            {
                for (int c = 0; c < g.C; c++)
                {
                    var src = w.Slice(((o * g.C) + c) * taps, taps);
                    var dst = flipped.AsSpan(((c * g.O) + o) * taps, taps);
                    for (int t = 0; t < taps; t++)
                    {
                        dst[taps - 1 - t] = src[t];
                    }
                }
            }

            var t2 = new ConvGeometry(g.N, g.O, g.OH, g.OW, g.C, g.KH, g.KW, (1, 1), (g.KH - 1 - g.Padding.H, g.KW - 1 - g.Padding.W),
                (1, 1), 1);
            Forward(gy, flipped.AsSpan(0, g.O * g.C * taps), default, gx, t2);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(flipped);
        }
    }

    // The input gradient as dcol = Wᵀ · gY (GEMM) and col2im, for every geometry.
    internal static void BackwardInputCol2Im(ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx, ConvGeometry g)
    {
        if (gx.IsEmpty)
        {
            return;
        }

        var path = Gemm.Current;
        int aSize = Gemm.PackedASize(path, g.Kg, g.Og), ohw = g.OH * g.OW, chw = g.C * g.H * g.W;
        int dcolSize = g.Groups * g.Kg * ohw;
        float[] packed = ArrayPool<float>.Shared.Rent(Math.Max(1, aSize * g.Groups));
        float[]? shared = g.N == 1 && !g.IsPointwise ? ArrayPool<float>.Shared.Rent(dcolSize) : null;
        try
        {
            fixed (float* pgy = gy, pw = w, pgx = gx, pp = packed, ps = shared)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Gemm.PackAAll(path, true, pw + ((nint)grp * g.Og * g.Kg), g.Kg, g.Kg, g.Og, 1f, pp + ((nint)grp * aSize));
                }

                nint gya = (nint)pgy, gxa = (nint)pgx, pa = (nint)pp, sa = (nint)ps;
                int rowsPer = g.N == 1 ? ConvTiles.For(1, g.Kg, ohw).Rows : g.Kg;
                int rowBlocks = Gemm.CeilDiv(g.Kg, rowsPer);

                // dcol of image n, row block rb, every group: rows [rb·rowsPer, …) of each group's Kg.
                void Dcol(int n, int rb, float* dcol)
                {
                    float* gyn = (float*)gya + ((nint)n * g.O * ohw);
                    int i0 = rb * rowsPer, rows = Math.Min(rowsPer, g.Kg - i0);
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        var pack = Gemm.StoredPanels(path, false, gyn + ((nint)grp * g.Og * ohw), ohw, 0, ohw);
                        Gemm.MultiplyPackedA(path, (float*)pa + ((nint)grp * aSize), g.Kg, i0, rows, ohw, g.Og, pack, 0f,
                            dcol + ((nint)((grp * g.Kg) + i0) * ohw), ohw);
                    }
                }

                if (g.N == 1)
                {
                    float* dcol = g.IsPointwise ? (float*)gxa : (float*)sa;
                    Parallelism.For(rowBlocks, rb => Dcol(0, rb, dcol), 2L * rowsPer * ohw * g.Og * g.Groups);
                    if (!g.IsPointwise)
                    {
                        Im2Col.BackwardInto((float*)sa, ohw, (float*)gxa, g, g.C);
                    }

                    return;
                }

                int perTask = ImagesPerTaskInputGrad(g, Gemm.PanelWidth(path));
                if (perTask > 1)
                {
                    // Several images side by side: dcol (Kg × count·OH·OW) = Wᵀ · [gY_n0 … gY_n0+count−1], then col2im of
                    // each image's columns. The same sums as one image at a time.
                    Parallelism.For(Gemm.CeilDiv(g.N, perTask), t =>
                    {
                        int n0 = t * perTask, count = Math.Min(perTask, g.N - n0), cols = count * ohw;
                        float* gy0 = (float*)gya + ((nint)n0 * g.O * ohw);
                        float* dcol = Scratch(g.Kg * cols);
                        Gemm.MultiplyPackedA(path, (float*)pa, g.Kg, 0, g.Kg, cols, g.Og,
                            (p0, kc, dst) => Im2ColPanels.PackImageRows(gy0, (nint)g.O * ohw, ohw, p0, kc, cols, dst), 0f, dcol, cols);
                        for (int i = 0; i < count; i++)
                        {
                            Im2Col.BackwardInto(dcol + ((nint)i * ohw), cols, (float*)gxa + ((nint)(n0 + i) * chw), g, g.C);
                        }
                    }, 2L * perTask * g.O * g.Kg * ohw);
                    return;
                }

                Parallelism.For(g.N, n =>
                {
                    float* gxn = (float*)gxa + ((nint)n * chw);
                    float* dcol = g.IsPointwise ? gxn : Scratch(dcolSize);
                    Dcol(n, 0, dcol);
                    if (!g.IsPointwise)
                    {
                        Im2Col.BackwardInto(dcol, ohw, gxn, g, g.C);
                    }
                }, 2L * g.O * g.Kg * ohw);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            if (shared is not null)
            {
                ArrayPool<float>.Shared.Return(shared);
            }
        }
    }

    // gy: (N, O, OH, OW) → gb: (O), overwritten: Σ over images (in order) of each plane's sum.
    public static void BackwardBias(ReadOnlySpan<float> gy, Span<float> gb, int n, int o, int planeSize)
    {
        gb.Clear();
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < o; c++)
            {
                gb[c] += TensorPrimitives.Sum(gy.Slice(((i * o) + c) * planeSize, planeSize));
            }
        }
    }

    // Thread-local pinned scratch for one image's column matrix; grown on demand, reused across calls.
    private static float* Scratch(int n) => Im2ColPanels.Buffer(ref t_col, n);
}
