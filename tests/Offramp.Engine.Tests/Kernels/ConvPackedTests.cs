using System.Numerics.Tensors;
using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Kernels;

/// <summary>
/// The packed convolution paths (weights packed once, im2col written straight into GEMM panels, tasks cut by
/// <see cref="ConvTiles"/>) against (a) the plain per-image im2col + Sgemm they replace — bit for bit, since every
/// element keeps its summation order — and (b) the naive reference twin, over odd shapes: several k blocks
/// (Kg &gt; 256), column ranges over 512 and row blocks of a single image, groups, strides, dilation, 1×1.
/// </summary>
public class ConvPackedTests
{
    // N, C, H, W, O, KH, KW, sH, sW, pH, pW, dH, dW, groups
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 1, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // one image: 4 column ranges
        new[] { 1, 64, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // one image: row blocks, Kg = 576 (3 k blocks)
        new[] { 3, 40, 9, 11, 53, 3, 3, 2, 1, 1, 0, 1, 1, 1 },    // odd O, asymmetric stride/padding
        new[] { 2, 3, 33, 29, 7, 5, 5, 1, 1, 2, 2, 1, 1, 1 },     // ohw 957 > 512: two column ranges per image
        new[] { 1, 6, 40, 40, 50, 3, 3, 1, 1, 1, 1, 2, 2, 2 },    // dilation, groups, one image
        new[] { 2, 64, 14, 14, 128, 1, 1, 2, 2, 0, 0, 1, 1, 1 },  // 1×1 stride 2 (projection shortcut)
        new[] { 1, 96, 5, 5, 100, 1, 1, 1, 1, 0, 0, 1, 1, 2 },    // pointwise, one image, groups
        new[] { 4, 17, 6, 6, 19, 1, 1, 1, 1, 0, 0, 1, 1, 1 },     // pointwise, odd sizes
        new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1 },       // smallest
        new[] { 2, 5, 4, 3, 3, 3, 3, 3, 2, 1, 2, 1, 1, 1 },       // stride larger than some planes
        new[] { 1, 30, 12, 13, 49, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // Kg = 270 (2 k blocks), O = 49
        new[] { 2, 16, 28, 28, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // stride 2, OW 14: vector gather, partial block
        new[] { 1, 3, 70, 69, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1 },     // stride 2, OW 35: two full blocks + partial, 2 column ranges
        new[] { 2, 4, 37, 41, 6, 3, 3, 2, 2, 0, 0, 1, 1, 1 },     // stride 2 unpadded: gathers read the input itself up to its end
        new[] { 3, 8, 33, 33, 9, 1, 1, 2, 2, 0, 0, 1, 1, 1 },     // 1×1 stride 2 on an odd side (last row near the end)
        new[] { 2, 5, 16, 16, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1 },     // OW 16: one whole vector run per row, no masked tail
        new[] { 2, 4, 9, 33, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1 },      // OW 33: two vector runs + a 1-float masked tail
        new[] { 3, 6, 10, 12, 7, 3, 3, 1, 1, 2, 2, 2, 2, 1 },     // dilation 2, several images: col2im's plane taps
        new[] { 1, 2, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1 },       // one output position: every tap feeds one lane
        new[] { 3, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // a 1-channel stem: 9 im2col rows (row-buffer pack)
        new[] { 32, 6, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1 },     // several images per forward task: 2 × 49 columns
        new[] { 50, 3, 5, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1 },      // 3 images × 45 columns per task, a last task of 2
        new[] { 10, 6, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1 },     // a small batch past an exit: 2 tasks of 5 images
        new[] { 7, 5, 14, 14, 11, 3, 3, 2, 2, 1, 1, 1, 1, 1 },    // 7 images, stride 2 to 7×7: 3 per task, a last task of 1
        new[] { 48, 4, 11, 11, 5, 3, 3, 1, 1, 1, 1, 2, 2, 1 },    // several images per task, dilation 2 (9 × 9 outputs)
        new[] { 40, 5, 13, 13, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1 },    // stride 2 → 7 × 7: several images per input-gradient task
        new[] { 36, 3, 12, 19, 4, 3, 3, 1, 2, 1, 0, 1, 1, 1 },    // stride (1, 2), unpadded columns: one image per forward task
        new[] { 33, 8, 14, 14, 10, 1, 1, 2, 2, 0, 0, 1, 1, 1 },   // 1×1 stride 2 (projection shortcut) in a large batch
        new[] { 32, 2, 20, 20, 3, 3, 3, 3, 3, 1, 1, 2, 2, 1 },    // stride 3 with dilation 2 in a large batch
        new[] { 2, 3, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // direct kernel: an RGB stem (Kg 27), two 16-channel blocks
        new[] { 1, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // direct kernel, one image: rows cut into 4 tasks
        new[] { 2, 2, 9, 5, 17, 3, 3, 1, 1, 0, 1, 1, 1, 1 },      // direct kernel: O = 17 (a 1-channel block), OW = 5 (masked run only)
        new[] { 1, 1, 12, 40, 3, 5, 5, 1, 1, 2, 2, 1, 1, 1 },     // direct kernel: 5×5 (Kg 25), OW = 40 (two runs + 8 lanes), 3 row tasks
        new[] { 5, 2, 7, 16, 20, 3, 4, 1, 1, 1, 2, 1, 1, 1 },     // direct kernel: 3×4 taps, OW = 17, 5 images
        new[] { 3, 2, 10, 10, 9, 4, 4, 1, 1, 1, 1, 1, 1, 1 },     // direct kernel at its limit, Kg = 32; OH = OW = 9
        new[] { 2, 11, 6, 6, 4, 3, 1, 1, 1, 1, 0, 1, 1, 1 },      // Kg = 33, OW = 6: past the direct kernel, im2col + GEMM
        new[] { 2, 32, 14, 14, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // direct kernel, Kg = 288: two k blocks added as the GEMM does
        new[] { 2, 2, 29, 31, 16, 5, 5, 2, 2, 2, 2, 1, 1, 1 },    // direct kernel, stride 2: four phase planes, 5×5, OW = 16
        new[] { 3, 3, 30, 30, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1 },     // direct kernel, stride 2, 3 images: rows cut into tasks
        new[] { 4, 5, 13, 24, 18, 3, 3, 2, 1, 1, 1, 1, 1, 1 },    // direct kernel, stride (2, 1)
        new[] { 2, 40, 14, 14, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // stride 2, OW = 7: im2col + GEMM (half-empty vectors)
        new[] { 48, 8, 14, 14, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // stride 2 → 7×7, several images per task: phase planes packed
        new[] { 33, 3, 15, 15, 5, 3, 3, 2, 2, 0, 0, 1, 1, 1 },    // the same unpadded, odd side, a last task of 1 image
        new[] { 64, 4, 9, 10, 7, 5, 5, 2, 2, 2, 2, 1, 1, 1 },     // stride 2, 5×5 kernel, 5×5 outputs
        new[] { 40, 16, 7, 7, 24, 5, 5, 1, 1, 2, 2, 1, 1, 1 },    // input gradient as a forward: 5×5 at 7×7, several images per task
        new[] { 34, 20, 9, 9, 17, 3, 3, 1, 1, 0, 0, 1, 1, 1 },    // the same unpadded (turned padding 2), O = 17
        new[] { 3, 18, 8, 11, 16, 3, 2, 1, 1, 2, 1, 1, 1, 1 },    // the same, 3×2 kernel, padding (2, 1) = kernel − 1
        new[] { 4, 6, 10, 11, 5, 1, 1, 2, 3, 0, 0, 1, 1, 1 },     // 1×1 stride (2, 3)
        new[] { 2, 3, 9, 70, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1 },      // 1×1 stride 2, OW = 35
        new[] { 3, 5, 7, 7, 6, 1, 1, 2, 2, 0, 0, 1, 1, 1 },       // 1×1 stride 2 on an odd side: OW = 4, W = 7
        new[] { 36, 2, 11, 12, 3, 3, 2, 2, 2, 1, 0, 1, 1, 1 },    // stride 2, 3×2 kernel (one column phase read per tap row)
        new[] { 34, 16, 28, 28, 32, 1, 1, 2, 2, 0, 0, 1, 1, 1 },  // 1×1 stride 2 at resnet_fm's shortcut shape, 34 images
        new[] { 40, 5, 9, 10, 7, 1, 1, 3, 2, 0, 0, 1, 1, 1 },     // 1×1, stride (3, 2), 3×5 outputs
        new[] { 3, 6, 8, 9, 5, 1, 1, 1, 2, 0, 0, 1, 1, 1 },       // 1×1, stride (1, 2)
        new[] { 2, 3, 5, 30, 4, 1, 1, 1, 2, 0, 0, 1, 1, 1 },      // 1×1 stride (1, 2), OW = 15
        new[] { 2, 4, 9, 26, 6, 1, 1, 2, 2, 0, 0, 1, 1, 1 },      // 1×1 stride 2, OH 5 × OW 13
        new[] { 37, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // direct kernel, a large odd batch (a 1-channel stem)
        new[] { 70, 2, 16, 16, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // direct kernel, stride 2, 70 images
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_PackedPanels_BitIdenticalToIm2ColSgemm(int[] p)
    {
        var (g, x, w, b) = Make(p, 11);
        using var plain = Conv.DisableWinograd(); // 3×3 stride-1 shapes of 48+ channels: ConvWinogradTests
        foreach (bool bias in new[] { false, true })
        {
            var fast = new float[g.N * g.O * g.OH * g.OW];
            fast.AsSpan().Fill(float.NaN); // the kernel must overwrite every element
            Conv.Forward(x, w, bias ? b : default, fast, g);
            Assert.Equal(PlainForward(x, w, bias ? b : null, g), fast);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardInput_PackedWeights_BitIdenticalToPerImageSgemm(int[] p)
    {
        var (g, _, w, _) = Make(p, 12);
        var gy = Random(new Rng(13), g.N * g.O * g.OH * g.OW);
        var fast = new float[g.N * g.C * g.H * g.W];
        fast.AsSpan().Fill(float.NaN);
        Conv.BackwardInputCol2Im(gy, w, fast, g);
        Assert.Equal(PlainBackwardInput(gy, w, g), fast);
        using (Conv.ForceIm2Col())
        {
            fast.AsSpan().Fill(float.NaN);
            Conv.BackwardInput(gy, w, fast, g);
            Assert.Equal(PlainBackwardInput(gy, w, g), fast);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardInput_StrideOne_IsTheForwardOfTheTurnedKernel(int[] p)
    {
        // Where Conv.BackwardInput runs as a forward convolution, it must give the forward's bits for the kernel
        // turned 180° with its channel axes swapped (built here independently), padded by K − 1 − pad.
        var (g, _, w, _) = Make(p, 22);
        if (!Conv.InputGradAsForward(g))
        {
            Assert.False(g.Stride == (1, 1) && g.Dilation == (1, 1) && g.Groups == 1 && g.KH * g.KW > 1 && g.C >= 16 && g.O >= 16
                && Gemm.Current == GemmPath.Avx512,
                $"a stride-1 shape left on the col2im path: {string.Join(",", p)}");
            return;
        }

        var gy = Random(new Rng(23), g.N * g.O * g.OH * g.OW);
        var turned = new float[w.Length];
        for (int o = 0; o < g.O; o++)
        {
            for (int c = 0; c < g.C; c++)
            {
                for (int ky = 0; ky < g.KH; ky++)
                {
                    for (int kx = 0; kx < g.KW; kx++)
                    {
                        turned[((((c * g.O) + o) * g.KH) + ky) * g.KW + kx] = w[((((o * g.C) + c) * g.KH) + (g.KH - 1 - ky)) * g.KW + (g.KW - 1 - kx)];
                    }
                }
            }
        }

        var t = new ConvGeometry(g.N, g.O, g.OH, g.OW, g.C, g.KH, g.KW, (1, 1), (g.KH - 1 - g.Padding.H, g.KW - 1 - g.Padding.W), (1, 1), 1);
        var expected = new float[g.N * g.C * g.H * g.W];
        Conv.Forward(gy, turned, default, expected, t);
        var fast = new float[expected.Length];
        fast.AsSpan().Fill(float.NaN);
        Conv.BackwardInput(gy, w, fast, g);
        Assert.Equal(expected, fast);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void Col2Im_FastPaths_BitIdenticalToGeneric(int[] p)
    {
        var (g, _, _, _) = Make(p, 16);
        var col = Random(new Rng(17), g.C * g.KH * g.KW * g.OH * g.OW);
        col[0] = -0f; // a −0 contribution must still give +0, as Backward's +0 + −0 does
        var expected = new float[g.C * g.H * g.W];
        Im2Col.Backward<float>(col, expected, g, g.C);
        // BackwardInto (the kernels' dispatch, contiguous rows) and, with AVX-512 at stride 1, the register path on
        // contiguous and on spread-out rows (ld = OH·OW + 5, NaN between them, as in a slice of several images' columns).
        int ohw = g.OH * g.OW, ld = ohw + 5, rows = g.C * g.KH * g.KW;
        var spread = new float[rows * ld];
        spread.AsSpan().Fill(float.NaN);
        for (int r = 0; r < rows; r++)
        {
            col.AsSpan(r * ohw, ohw).CopyTo(spread.AsSpan(r * ld));
        }

        var paths = new List<(string, int)> { ("dispatch", ohw) };
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && g.Stride.W == 1)
        {
            paths.Add(("rows", ohw));
            paths.Add(("rows", ld));
        }

        foreach (var (path, stride) in paths)
        {
            var fast = new float[expected.Length];
            fast.AsSpan().Fill(float.NaN);
            fixed (float* pc = stride == ohw ? col : spread, px = fast)
            {
                if (path == "rows")
                {
                    Im2Col.BackwardIntoRows(pc, stride, px, g, g.C);
                }
                else
                {
                    Im2Col.BackwardInto(pc, stride, px, g, g.C);
                }
            }

            Assert.True(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(expected.AsSpan())
                .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(fast.AsSpan())), $"{path} ld {stride}: {string.Join(",", p)}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardWeight_TransposedPanels_BitIdenticalToPerImageSgemm(int[] p)
    {
        var (g, x, _, _) = Make(p, 18);
        var gy = Random(new Rng(19), g.N * g.O * g.OH * g.OW);
        var fast = new float[g.O * g.Kg];
        fast.AsSpan().Fill(float.NaN);
        Conv.BackwardWeight(x, gy, fast, g);
        Assert.Equal(PlainBackwardWeight(x, gy, g), fast);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackward_MatchReferenceTwin(int[] p)
    {
        var (g, x, w, b) = Make(p, 14);
        var gy = Random(new Rng(15), g.N * g.O * g.OH * g.OW);
        var y = new float[gy.Length];
        var gx = new float[x.Length];
        Conv.Forward(x, w, b, y, g);
        Conv.BackwardInput(gy, w, gx, g);
        var gw = new float[w.Length];
        Conv.BackwardWeight(x, gy, gw, g);
        var gwr = new double[w.Length];
        ConvReference.BackwardWeight<double>(ToDouble(x), ToDouble(gy), gwr, g);
        TestUtil.AssertClose(ToFloat(gwr), gw, 1e-4 * Math.Sqrt(g.N * g.OH * g.OW), 1e-4, $"dw {string.Join(",", p)}");
        var yr = new double[y.Length];
        var gxr = new double[gx.Length];
        ConvReference.Forward<double>(ToDouble(x), ToDouble(w), ToDouble(b), yr, g);
        ConvReference.BackwardInput<double>(ToDouble(gy), ToDouble(w), gxr, g);
        double atol = 1e-4 * Math.Sqrt(g.Kg + 1);
        TestUtil.AssertClose(ToFloat(yr), y, atol, 1e-4, $"y {string.Join(",", p)}");
        TestUtil.AssertClose(ToFloat(gxr), gx, atol * Math.Sqrt(g.Og), 1e-4, $"dx {string.Join(",", p)}");
    }

    [Fact]
    public void ForwardAndBackward_OneVersusTwoThreads_BitIdentical()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (var p in new[] { new[] { 1, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, new[] { 1, 64, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1 } })
            {
                var (g, x, w, b) = Make(p, 16);
                var gy = Random(new Rng(17), g.N * g.O * g.OH * g.OW);
                var runs = new List<float[]>();
                foreach (int threads in new[] { 1, 2 })
                {
                    Parallelism.Threads = threads;
                    var y = new float[gy.Length];
                    var gx = new float[x.Length];
                    Conv.Forward(x, w, b, y, g);
                    Conv.BackwardInput(gy, w, gx, g);
                    var gw = new float[w.Length];
                    Conv.BackwardWeight(x, gy, gw, g);
                    runs.Add([.. y, .. gx, .. gw]);
                }

                Assert.Equal(runs[0], runs[1]);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void ForcedFallbackPaths_BitIdenticalToIm2ColSgemmOnThatPath()
    {
        foreach (var path in new[] { GemmPath.Avx2, GemmPath.Scalar })
        {
            if (!Gemm.IsSupported(path))
            {
                continue;
            }

            using (Gemm.Force(path))
            {
                foreach (var p in new[] { new[] { 1, 30, 12, 13, 49, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, new[] { 2, 40, 9, 11, 53, 3, 3, 2, 1, 1, 0, 1, 1, 1 } })
                {
                    var (g, x, w, b) = Make(p, 20);
                    var gy = Random(new Rng(21), g.N * g.O * g.OH * g.OW);
                    var y = new float[gy.Length];
                    var gx = new float[x.Length];
                    var gw = new float[w.Length];
                    Conv.Forward(x, w, b, y, g);
                    Conv.BackwardInput(gy, w, gx, g);
                    Conv.BackwardWeight(x, gy, gw, g);
                    Assert.Equal(PlainForward(x, w, b, g), y);
                    Assert.Equal(PlainBackwardInput(gy, w, g), gx);
                    Assert.Equal(PlainBackwardWeight(x, gy, g), gw);
                }
            }
        }
    }

    [Theory]
    [InlineData(64, 1, 28, 28, 16, 3, 1, 1, true)]      // resnet_fm's stem (Kg 9)
    [InlineData(64, 16, 28, 28, 32, 3, 2, 1, true)]     // its first block's stride-2 conv (OW 14)
    [InlineData(64, 16, 28, 28, 32, 1, 2, 0, false)]    // its 1×1 stride-2 shortcut: phase planes cost more than packing
    [InlineData(64, 32, 14, 14, 32, 3, 1, 1, true)]     // 32 channels at 14×14 (Kg 288)
    [InlineData(64, 32, 14, 14, 96, 3, 2, 1, false)]    // stride 2 to 7×7: 7 of 16 lanes
    [InlineData(64, 96, 7, 7, 96, 3, 1, 1, false)]      // 96 channels at 7×7
    [InlineData(64, 3, 32, 32, 32, 3, 1, 1, true)]      // an RGB stem at 32×32
    [InlineData(1, 3, 224, 224, 64, 7, 2, 3, false)]    // an ImageNet stem: the padded image exceeds 64 Ki floats
    [InlineData(8, 64, 32, 32, 64, 1, 1, 0, false)]     // pointwise: the GEMM reads the stored input
    public void DirectKernel_TakesTheShapesItIsFor(int n, int c, int h, int w, int o, int k, int stride, int pad, bool direct)
    {
        var g = new ConvGeometry(n, c, h, w, o, k, k, (stride, stride), (pad, pad), (1, 1), 1);
        Assert.Equal(direct && Gemm.IsSupported(GemmPath.Avx512), Conv.UsesDirect(g, GemmPath.Avx512));
        Assert.False(Conv.UsesDirect(g, GemmPath.Avx2));
    }

    [Theory]
    [InlineData(64, 32, 14, 14, 96, 3, 2, 1, 4)]    // resnet_fm's stride-2 conv to 7×7: phase planes, 4 images per task
    [InlineData(64, 96, 7, 7, 96, 3, 1, 1, 4)]      // stride 1 at 7×7: padded images, 4 per task
    [InlineData(64, 32, 14, 14, 96, 1, 2, 0, 1)]    // 1×1 stride 2: one image per task
    [InlineData(64, 16, 9, 9, 8, 3, 3, 1, 1)]       // stride 3: one image per task
    [InlineData(8, 32, 14, 14, 96, 3, 2, 1, 3)]     // a small batch: up to half of it per task, the best panel fill (147 of 160)
    [InlineData(10, 96, 7, 7, 96, 3, 1, 1, 5)]      // 10 images past an exit: two tasks of 5 (245 of 256 columns)
    [InlineData(4, 96, 7, 7, 96, 3, 1, 1, 1)]       // 2 images fill their panels no better than 1: one per task
    [InlineData(2, 96, 7, 7, 96, 3, 1, 1, 1)]       // two images, two tasks
    [InlineData(31, 96, 7, 7, 96, 3, 1, 1, 9)]      // below 32 images: 9 × 49 = 441 of 448 columns fills best
    public void MultiImageForward_TakesStride1AndStride2Maps(int n, int c, int h, int w, int o, int k, int stride, int pad, int perTask)
    {
        var g = new ConvGeometry(n, c, h, w, o, k, k, (stride, stride), (pad, pad), (1, 1), 1);
        Assert.Equal(Gemm.IsSupported(GemmPath.Avx512) ? perTask : 1, Conv.ImagesPerTask(g, 32));
    }

    [Theory]
    [InlineData(64, 1, 28, 28, 16, 3, 1, 1, 4)]     // resnet_fm's stem: 113 Ki multiply-adds per image, 4 per task
    [InlineData(37, 1, 28, 28, 16, 3, 1, 1, 2)]     // 37 images: at most N / 16 per task (19 tasks, the last with 1)
    [InlineData(16, 1, 28, 28, 16, 3, 1, 1, 1)]     // 16 images: one each
    [InlineData(70, 2, 16, 16, 10, 3, 2, 1, 4)]     // 11.5 Ki per image: at most 4 (18 tasks, the last with 2)
    [InlineData(64, 16, 28, 28, 32, 3, 2, 1, 1)]    // the block's stride-2 conv: 903 Ki per image, one each
    [InlineData(64, 32, 14, 14, 32, 3, 1, 1, 1)]    // 32 channels at 14×14: 1.8 Mi per image, one each
    public void DirectForward_GroupsSmallImagesIntoTasks(int n, int c, int h, int w, int o, int k, int stride, int pad, int perTask)
    {
        var g = new ConvGeometry(n, c, h, w, o, k, k, (stride, stride), (pad, pad), (1, 1), 1);
        Assert.True(Conv.UsesDirect(g, GemmPath.Avx512) || !Gemm.IsSupported(GemmPath.Avx512));
        Assert.Equal(perTask, Conv.DirectImagesPerTask(g));
    }

    [Theory]
    [InlineData(1, 32, 784)]
    [InlineData(1, 128, 49)]
    [InlineData(1, 64, 196)]
    [InlineData(64, 32, 784)]
    [InlineData(2, 7, 3000)]
    [InlineData(1, 1, 1)]
    public void ConvTiles_CoverEveryRowAndColumnOnce(int n, int m, int cols)
    {
        var t = ConvTiles.For(n, m, cols);
        Assert.True(t.Rows * (t.RowBlocks - 1) < m && t.Rows * t.RowBlocks >= m, $"rows {t}");
        Assert.True(t.Cols * (t.ColChunks - 1) < cols && t.Cols * t.ColChunks >= cols, $"cols {t}");
        Assert.True(t.RowBlocks == 1 || t.Rows % 48 == 0, $"row blocks must be MR multiples: {t}");
        Assert.True(t.ColChunks == 1 || t.Cols % 32 == 0, $"column ranges must be NR multiples: {t}");
    }

    private static (ConvGeometry G, float[] X, float[] W, float[] B) Make(int[] p, ulong seed)
    {
        var g = new ConvGeometry(p[0], p[1], p[2], p[3], p[4], p[5], p[6], (p[7], p[8]), (p[9], p[10]), (p[11], p[12]), p[13]);
        var rng = new Rng(seed);
        return (g, Random(rng, g.N * g.C * g.H * g.W), Random(rng, g.O * g.Kg), Random(rng, g.O));
    }

    // The path the packed kernels replace: per image and group, im2col into a stored matrix, then Sgemm.
    private static float[] PlainForward(float[] x, float[] w, float[]? b, ConvGeometry g)
    {
        int ohw = g.OH * g.OW;
        var y = new float[g.N * g.O * ohw];
        var col = new float[g.C * g.KH * g.KW * ohw];
        for (int n = 0; n < g.N; n++)
        {
            Im2Col.Forward<float>(x.AsSpan(n * g.C * g.H * g.W, g.C * g.H * g.W), col, g, g.C);
            var yn = y.AsSpan(n * g.O * ohw, g.O * ohw);
            for (int o = 0; b is not null && o < g.O; o++)
            {
                yn.Slice(o * ohw, ohw).Fill(b[o]);
            }

            for (int grp = 0; grp < g.Groups; grp++)
            {
                Gemm.Sgemm(false, false, g.Og, ohw, g.Kg, 1f, w.AsSpan(grp * g.Og * g.Kg, g.Og * g.Kg), g.Kg,
                    col.AsSpan(grp * g.Kg * ohw, g.Kg * ohw), ohw, b is null ? 0f : 1f, yn.Slice(grp * g.Og * ohw, g.Og * ohw), ohw);
            }
        }

        return y;
    }

    private static float[] PlainBackwardInput(float[] gy, float[] w, ConvGeometry g)
    {
        int ohw = g.OH * g.OW, chw = g.C * g.H * g.W;
        var gx = new float[g.N * chw];
        var dcol = new float[g.Groups * g.Kg * ohw];
        for (int n = 0; n < g.N; n++)
        {
            for (int grp = 0; grp < g.Groups; grp++)
            {
                Gemm.Sgemm(true, false, g.Kg, ohw, g.Og, 1f, w.AsSpan(grp * g.Og * g.Kg, g.Og * g.Kg), g.Kg,
                    gy.AsSpan((n * g.O * ohw) + (grp * g.Og * ohw), g.Og * ohw), ohw, 0f, dcol.AsSpan(grp * g.Kg * ohw, g.Kg * ohw), ohw);
            }

            Im2Col.Backward<float>(dcol, gx.AsSpan(n * chw, chw), g, g.C);
        }

        return gx;
    }

    // Per chunk of at most ⌈N/4⌉ images, image by image: im2col, then Sgemm(gY_g, colᵀ); chunks added in order.
    private static float[] PlainBackwardWeight(float[] x, float[] gy, ConvGeometry g)
    {
        int ohw = g.OH * g.OW, wn = g.O * g.Kg;
        int chunks = Math.Min(g.N, 4), per = (g.N + chunks - 1) / chunks;
        chunks = (g.N + per - 1) / per;
        var parts = new float[chunks][];
        var col = new float[g.C * g.KH * g.KW * ohw];
        for (int ch = 0; ch < chunks; ch++)
        {
            parts[ch] = new float[wn];
            for (int n = ch * per; n < Math.Min(g.N, (ch + 1) * per); n++)
            {
                Im2Col.Forward<float>(x.AsSpan(n * g.C * g.H * g.W, g.C * g.H * g.W), col, g, g.C);
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Gemm.Sgemm(false, true, g.Og, g.Kg, ohw, 1f, gy.AsSpan((n * g.O * ohw) + (grp * g.Og * ohw), g.Og * ohw), ohw,
                        col.AsSpan(grp * g.Kg * ohw, g.Kg * ohw), ohw, n == ch * per ? 0f : 1f, parts[ch].AsSpan(grp * g.Og * g.Kg, g.Og * g.Kg), g.Kg);
                }
            }
        }

        for (int ch = 1; ch < chunks; ch++)
        {
            TensorPrimitives.Add(parts[0], parts[ch], parts[0]);
        }

        return parts[0];
    }

    private static float[] Random(Rng rng, int n) => Tensor.Randn(rng, [n]).ToArray();

    private static double[] ToDouble(float[] a) => [.. a.Select(v => (double)v)];

    private static float[] ToFloat(double[] a) => [.. a.Select(v => (float)v)];
}
