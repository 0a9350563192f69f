using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Kernels;

/// <summary>
/// Winograd F(2×2, 3×3) (<c>Conv.Winograd.cs</c>) against (a) its scalar twin <see cref="Conv.ForwardWinogradReference"/>
/// — bit for bit — and (b) the direct sum (<see cref="ConvReference"/> in double) within the rounding the transforms
/// add, over odd shapes: odd sides (a last tile half outside), 1×1 and 1×2 maps, tile rows longer than one vector
/// (pieces split at 16 tiles and at panel ends), several k blocks (C &gt; 256), O above the GEMM's row block (288),
/// odd O, a single image (output-channel blocks as tasks) and large batches (several column tasks). Shapes below
/// <see cref="Conv.WinogradMinChannels"/> run under <see cref="Conv.WinogradAnyChannels"/>.
/// </summary>
public class ConvWinogradTests
{
    // N, C, H, W, O
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 1, 16, 7, 7, 16 },      // the smallest channels; odd side: a last tile half outside
        new[] { 2, 32, 8, 8, 32 },      // even side, two images in one task
        new[] { 3, 17, 9, 11, 19 },     // odd C, O, H, W
        new[] { 1, 16, 1, 1, 16 },      // one output: one tile, three quarters outside
        new[] { 2, 20, 2, 1, 16 },      // one column
        new[] { 5, 16, 33, 35, 16 },    // 18 tiles per tile row: a piece of 16 and one of 2, pieces cut at panel ends
        new[] { 1, 300, 5, 6, 20 },     // C = 300: two k blocks of 152 and 148
        new[] { 1, 16, 3, 3, 300 },     // O = 300: the GEMM's rows in two blocks (288 + 12)
        new[] { 1, 96, 7, 7, 96 },      // one image: the output channels cut into 4 tasks
        new[] { 64, 32, 7, 7, 36 },     // a batch: 1,024 tiles in several column tasks
        new[] { 2, 16, 28, 28, 17 },    // 28×28, O = 17
        new[] { 9, 24, 14, 14, 40 },    // 441 tiles: the last task partial
        new[] { 4, 16, 32, 32, 16 },    // 32×32: 16 tiles a row, exactly one vector
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_BitIdenticalToScalarTwin(int[] p)
    {
        var (g, x, w, b) = Make(p, 31);
        using var any = Conv.WinogradAnyChannels();
        Assert.True(Conv.UsesWinograd(g, GemmPath.Avx512) || !Gemm.IsSupported(GemmPath.Avx512));
        if (!Conv.UsesWinograd(g, Gemm.Current))
        {
            return;
        }

        foreach (bool bias in new[] { false, true })
        {
            var fast = new float[g.N * g.O * g.OH * g.OW];
            fast.AsSpan().Fill(float.NaN); // every element must be written
            Conv.Forward(x, w, bias ? b : default, fast, g);
            var twin = new float[fast.Length];
            twin.AsSpan().Fill(float.NaN);
            Conv.ForwardWinogradReference(x, w, bias ? b : default, twin, g);
            Assert.Equal(twin, fast);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ScalarTwin_IsTheConvolution(int[] p)
    {
        // The twin (and so the kernel) within float rounding of the double-precision direct sum: each output's error is
        // bounded by 16 ε times the sum of |products| (the transforms add at most 4 values per step; 4 ε passes here).
        var (g, x, w, b) = Make(p, 32);
        var y = new float[g.N * g.O * g.OH * g.OW];
        Conv.ForwardWinogradReference(x, w, b, y, g);
        var expected = new double[y.Length];
        ConvReference.Forward<double>(ToDouble(x), ToDouble(w), ToDouble(b), expected, g);
        var absX = x.Select(v => (double)Math.Abs(v)).ToArray();
        var absW = w.Select(v => (double)Math.Abs(v)).ToArray();
        var scale = new double[y.Length];
        ConvReference.Forward<double>(absX, absW, [.. b.Select(v => (double)Math.Abs(v))], scale, g);
        for (int i = 0; i < y.Length; i++)
        {
            double bound = (16 * 6e-8 * scale[i]) + 1e-7;
            Assert.True(Math.Abs(y[i] - expected[i]) <= bound, $"{string.Join(",", p)} at {i}: {y[i]} vs {expected[i]} (bound {bound})");
        }
    }

    [Fact]
    public void ScalarTwin_CatchesAWrongTap()
    {
        // The tolerance above is tight enough to see one misplaced weight: move one tap and the check must fail.
        var (g, x, w, b) = Make([2, 16, 7, 7, 16], 33);
        var y = new float[g.N * g.O * g.OH * g.OW];
        var moved = (float[])w.Clone();
        (moved[4], moved[5]) = (moved[5], moved[4]);
        Conv.ForwardWinogradReference(x, moved, b, y, g);
        var expected = new double[y.Length];
        ConvReference.Forward<double>(ToDouble(x), ToDouble(w), ToDouble(b), expected, g);
        Assert.Contains(Enumerable.Range(0, y.Length), i => Math.Abs(y[i] - expected[i]) > 1e-3);
    }

    [Theory]
    [InlineData(3, 19)]   // two vectors of 8 input channels and a scalar tail of 3
    [InlineData(2, 5)]    // scalar only
    public void WinogradWeights_AreGgGTransposed(int o, int c)
    {
        // U_ξ[oc, ic] against G g Gᵀ by plain matrix products in double, within one float rounding.
        double[,] gm = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
        var w = Random(new Rng(37), o * c * 9);
        var u = new float[Conv.WinogradPoints * o * c];
        Conv.WinogradWeights(w, o, c, u);
        for (int oc = 0; oc < o; oc++)
        {
            for (int ic = 0; ic < c; ic++)
            {
                for (int q = 0; q < 4; q++)
                {
                    for (int sc = 0; sc < 4; sc++)
                    {
                        double e = 0;
                        for (int r = 0; r < 3; r++)
                        {
                            for (int k = 0; k < 3; k++)
                            {
                                e += gm[q, r] * w[(((oc * c) + ic) * 9) + (r * 3) + k] * gm[sc, k];
                            }
                        }

                        float got = u[((((q * 4) + sc) * o) + oc) * c + ic];
                        Assert.True(Math.Abs(got - e) <= 1.2e-7 * Math.Max(1e-3, Math.Abs(e)), $"U[{q},{sc}] of ({oc}, {ic}): {got} vs {e}");
                    }
                }
            }
        }

        Assert.Throws<ArgumentException>(() => Conv.WinogradWeights(w.AsSpan(1), o, c, u));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_SameBitsForAnyThreadCountAndAnyBatch(int[] p)
    {
        var (g, x, w, b) = Make(p, 34);
        using var any = Conv.WinogradAnyChannels();
        int saved = Parallelism.Threads;
        try
        {
            var runs = new List<float[]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.Threads = threads;
                var y = new float[g.N * g.O * g.OH * g.OW];
                Conv.Forward(x, w, b, y, g);
                runs.Add(y);
            }

            Assert.Equal(runs[0], runs[1]);

            // Each image alone (what a sample gets past an early exit) gives the bits it gets in the batch.
            int xs = g.C * g.H * g.W, ys = g.O * g.OH * g.OW;
            var one = g with { N = 1 };
            for (int n = 0; n < g.N; n += Math.Max(1, g.N / 4))
            {
                var y1 = new float[ys];
                Conv.Forward(x.AsSpan(n * xs, xs), w, b, y1, one);
                Assert.Equal(runs[0].AsSpan(n * ys, ys).ToArray(), y1);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void Forward_EpilogueAppliedOnceToEveryOutput(int[] p)
    {
        // Eval BatchNorm + residual + ReLU fused into the forward equal the epilogue applied afterwards to the whole
        // output (the tasks' runs cover every element once, with its own channel and offset).
        var (g, x, w, b) = Make(p, 35);
        using var any = Conv.WinogradAnyChannels();
        var rng = new Rng(36);
        var mean = Random(rng, g.O);
        var scale = Random(rng, g.O);
        var shift = Random(rng, g.O);
        var residual = Random(rng, g.N * g.O * g.OH * g.OW);
        var fused = new float[residual.Length];
        var separate = new float[residual.Length];
        fixed (float* pm = mean, ps = scale, pt = shift, pr = residual, py = separate)
        {
            var epilogue = new ConvEpilogue(pm, ps, pt, pr, relu: true);
            Conv.Forward(x, w, b, fused, g, epilogue);
            Conv.Forward(x, w, b, separate, g);
            epilogue.ApplyAll(py, g.N, g.O, g.OH * g.OW);
        }

        Assert.Equal(separate, fused);
        Assert.Contains(fused, v => v == 0f);
        Assert.Contains(fused, v => v > 0f);
    }

    [Theory]
    [InlineData(64, 64, 16, 16, 64, 3, 1, 1, 1, true)]    // cnn/c10 stage 2
    [InlineData(64, 96, 7, 7, 96, 3, 1, 1, 1, true)]      // resnet_fm's 96-channel layers
    [InlineData(1, 48, 28, 28, 48, 3, 1, 1, 1, true)]     // batch 1, the fewest channels
    [InlineData(64, 32, 32, 32, 32, 3, 1, 1, 1, false)]   // 32 channels: the direct kernel
    [InlineData(64, 47, 14, 14, 64, 3, 1, 1, 1, false)]   // C below 48
    [InlineData(64, 64, 14, 14, 47, 3, 1, 1, 1, false)]   // O below 48
    [InlineData(64, 64, 28, 28, 64, 3, 2, 1, 1, false)]   // stride 2
    [InlineData(64, 64, 14, 14, 64, 3, 1, 0, 1, false)]   // unpadded
    [InlineData(64, 64, 14, 14, 64, 5, 1, 2, 1, false)]   // 5×5
    [InlineData(64, 64, 14, 14, 64, 3, 1, 1, 2, false)]   // groups
    [InlineData(64, 64, 14, 14, 64, 1, 1, 0, 1, false)]   // pointwise
    public void UsesWinograd_TakesThe3x3Stride1Padding1Shapes(int n, int c, int h, int w, int o, int k, int stride, int pad, int groups,
        bool expected)
    {
        var g = new ConvGeometry(n, c, h, w, o, k, k, (stride, stride), (pad, pad), (1, 1), groups);
        Assert.Equal(expected && Gemm.IsSupported(GemmPath.Avx512), Conv.UsesWinograd(g, GemmPath.Avx512));
        Assert.False(Conv.UsesWinograd(g, GemmPath.Avx2));
        using (Conv.DisableWinograd())
        {
            Assert.False(Conv.UsesWinograd(g, GemmPath.Avx512));
        }

        // Any channel count under WinogradAnyChannels; the other conditions stay.
        bool shape = k == 3 && stride == 1 && pad == 1 && groups == 1;
        using var any = Conv.WinogradAnyChannels();
        Assert.Equal(shape && Gemm.IsSupported(GemmPath.Avx512), Conv.UsesWinograd(g, GemmPath.Avx512));
    }

    private static (ConvGeometry G, float[] X, float[] W, float[] B) Make(int[] p, ulong seed)
    {
        var g = new ConvGeometry(p[0], p[1], p[2], p[3], p[4], 3, 3, (1, 1), (1, 1), (1, 1), 1);
        var rng = new Rng(seed);
        return (g, Random(rng, g.N * g.C * g.H * g.W), Random(rng, g.O * g.Kg), Random(rng, g.O));
    }

    private static float[] Random(Rng rng, int n) => Tensor.Randn(rng, [n]).ToArray();

    private static double[] ToDouble(float[] a) => [.. a.Select(v => (double)v)];
}
