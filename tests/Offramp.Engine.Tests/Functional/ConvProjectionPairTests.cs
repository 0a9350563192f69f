using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Functional;

/// <summary>
/// <see cref="F.Conv2dNormActWithProjection"/> / <see cref="Conv2d.TryForwardNormActWithProjection"/>: a strided
/// block's main convolution and its 1×1 projection shortcut in one direct pass. Both outputs must equal, bit for bit,
/// the two <see cref="F.Conv2dNormAct"/> calls they replace (and so the separate conv → BatchNorm → ReLU ops those
/// are tested against), over odd shapes — O not a multiple of 8, masked runs, several k blocks, one image cut into
/// row ranges, stride 1 and 2 — at 1 and 2 threads; the pairing must step aside (null) wherever it does not apply.
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class ConvProjectionPairTests
{
    // N, C, H, W, O (main), OP (projection), K (main kernel side), stride
    public static TheoryData<int, int, int, int, int, int, int, int> Shapes() => new()
    {
        { 64, 16, 28, 28, 32, 32, 3, 2 },   // resnet_fm's first block (OW 14)
        { 5, 32, 28, 28, 64, 64, 3, 2 },    // the cnn bench model's second stage
        { 3, 7, 29, 27, 13, 11, 3, 2 },     // odd sides, O and OP not multiples of 8
        { 2, 40, 24, 24, 9, 17, 3, 2 },     // Kg 360: two k blocks for the main conv
        { 1, 12, 26, 26, 10, 6, 3, 2 },     // one image: its rows cut into ranges
        { 4, 9, 16, 16, 8, 5, 3, 1 },       // stride 1, OW 16: whole vector runs
        { 2, 300, 6, 12, 8, 9, 3, 1 },      // C 300: the projection in two k blocks too (its own KStep)
        { 3, 4, 30, 30, 6, 7, 5, 2 },       // a 5×5 main kernel, padding 2
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Pair_BitIdenticalToTwoFusedCalls(int n, int c, int h, int w, int o, int op, int k, int stride)
    {
        var rng = new Rng(41);
        var x = Tensor.Randn(rng, [n, c, h, w]);
        x.SetFlat(0, float.NaN);
        x.SetFlat(1, -0.0);
        var wm = Tensor.Randn(rng, [o, c, k, k]);
        var wp = Tensor.Randn(rng, [op, c, 1, 1]);
        var (m1, v1, w1, b1) = Stats(rng, o);
        var (m2, v2, w2, b2) = Stats(rng, op);
        using var noGrad = Engine.Autograd.NoGrad();
        var geometry = new ConvGeometry(n, c, h, w, o, k, k, (stride, stride), (k / 2, k / 2), (1, 1), 1);
        Assert.True(Conv.UsesDirect(geometry, Gemm.Current) || !Gemm.IsSupported(GemmPath.Avx512),
            "the shape is meant for the direct kernel");
        foreach (bool relu in new[] { false, true })
        {
            foreach (bool affine in new[] { false, true })
            {
                var expectedMain = F.Conv2dNormAct(x, wm, null, (stride, stride), (k / 2, k / 2), (1, 1), 1, m1, v1,
                    affine ? w1 : null, affine ? b1 : null, 1e-5, null, relu);
                var expectedProj = F.Conv2dNormAct(x, wp, null, (stride, stride), (0, 0), (1, 1), 1, m2, v2,
                    affine ? w2 : null, affine ? b2 : null, 1e-3);
                var pair = F.Conv2dNormActWithProjection(x, wm, (stride, stride), (k / 2, k / 2),
                    new EvalNorm(m1, v1, affine ? w1 : null, affine ? b1 : null, 1e-5), relu, wp,
                    new EvalNorm(m2, v2, affine ? w2 : null, affine ? b2 : null, 1e-3));
                if (!Gemm.IsSupported(GemmPath.Avx512))
                {
                    Assert.Null(pair);
                    continue;
                }

                Assert.NotNull(pair);
                Assert.Equal(expectedMain.Shape, pair.Value.Main.Shape);
                Assert.Equal(expectedProj.Shape, pair.Value.Projection.Shape);
                Assert.Equal(expectedMain.ToArray(), pair.Value.Main.ToArray());
                Assert.Equal(expectedProj.ToArray(), pair.Value.Projection.ToArray());
            }
        }
    }

    [Fact]
    public void Pair_ThreadCount_DoesNotChangeResult()
    {
        var rng = new Rng(43);
        var x = Tensor.Randn(rng, [3, 16, 28, 28]);
        var wm = Tensor.Randn(rng, [32, 16, 3, 3]);
        var wp = Tensor.Randn(rng, [32, 16, 1, 1]);
        var (m1, v1, w1, b1) = Stats(rng, 32);
        var (m2, v2, w2, b2) = Stats(rng, 32);
        int saved = Parallelism.Threads;
        var runs = new List<float[]>();
        try
        {
            using var noGrad = Engine.Autograd.NoGrad();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.Threads = threads;
                var pair = F.Conv2dNormActWithProjection(x, wm, (2, 2), (1, 1), new EvalNorm(m1, v1, w1, b1, 1e-5), true, wp,
                    new EvalNorm(m2, v2, w2, b2, 1e-5));
                if (pair is null)
                {
                    return; // no AVX-512: nothing pairs (checked by the theory above)
                }

                runs.Add([.. pair.Value.Main.ToArray(), .. pair.Value.Projection.ToArray()]);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }

        Assert.Equal(runs[0], runs[1]);
    }

    [Fact]
    public void Pair_StepsAsideWhereItDoesNotApply()
    {
        var rng = new Rng(47);
        var x = Tensor.Randn(rng, [2, 16, 28, 28]);
        var wm = Tensor.Randn(rng, [32, 16, 3, 3]);
        var wp = Tensor.Randn(rng, [32, 16, 1, 1]);
        var (m, v, bw, bb) = Stats(rng, 32);
        var norm = new EvalNorm(m, v, bw, bb, 1e-5);
        using (Engine.Autograd.NoGrad())
        {
            // A 7-wide output (14 → 7) is not the direct kernel's: the caller runs the two convolutions.
            var small = Tensor.Randn(rng, [2, 16, 14, 14]);
            Assert.Null(F.Conv2dNormActWithProjection(small, wm, (2, 2), (1, 1), norm, true, wp, norm));

            // float64
            Assert.Null(F.Conv2dNormActWithProjection(x.ToDType(DType.Float64), wm.ToDType(DType.Float64), (2, 2), (1, 1),
                new EvalNorm(m.ToDType(DType.Float64), v.ToDType(DType.Float64), null, null, 1e-5), true, wp.ToDType(DType.Float64),
                new EvalNorm(m.ToDType(DType.Float64), v.ToDType(DType.Float64), null, null, 1e-5)));
        }

        // A gradient to record.
        var wg = wm.CloneData().WithGrad();
        Assert.Null(F.Conv2dNormActWithProjection(x, wg, (2, 2), (1, 1), norm, true, wp, norm));

        // Wrong shapes are named, as the separate ops name them.
        using (Engine.Autograd.NoGrad())
        {
            var e = Assert.Throws<ArgumentException>(() =>
                F.Conv2dNormActWithProjection(x, wm, (2, 2), (1, 1), norm, true, Tensor.Randn(rng, [32, 8, 1, 1]), norm));
            Assert.Contains("(32, 8, 1, 1)", e.Message);
        }
    }

    [Fact]
    public void Module_PairsOnlyInEvalModeAndMatchesTheTwoModuleCalls()
    {
        var rng = new Rng(53);
        var conv = new Conv2d(16, 32, 3, rng, stride: 2, padding: 1, bias: false);
        var bn = new BatchNorm2d(32);
        var proj = new Conv2d(16, 32, 1, rng, stride: 2, bias: false);
        var pbn = new BatchNorm2d(32);
        var x = Tensor.Randn(rng, [4, 16, 28, 28]);
        using var noGrad = Engine.Autograd.NoGrad();

        // Training mode: batch statistics, nothing to pair.
        Assert.Null(conv.TryForwardNormActWithProjection(x, bn, true, proj, pbn));
        foreach (var b in new[] { bn, pbn })
        {
            b.Eval();
            Tensor.Randn(rng, [32]).CopyDataTo(b.RunningMean!);
            Tensor.Rand(rng, [32]).Add(0.5).CopyDataTo(b.RunningVar!);
            Tensor.Randn(rng, [32]).CopyDataTo(b.Weight!);
            Tensor.Randn(rng, [32]).CopyDataTo(b.Bias!);
        }

        var pair = conv.TryForwardNormActWithProjection(x, bn, true, proj, pbn);
        if (!Gemm.IsSupported(GemmPath.Avx512))
        {
            Assert.Null(pair);
            return;
        }

        Assert.NotNull(pair);
        Assert.Equal(conv.ForwardNormAct(x, bn, relu: true).ToArray(), pair.Value.Main.ToArray());
        Assert.Equal(proj.ForwardNormAct(x, pbn).ToArray(), pair.Value.Projection.ToArray());

        // A projection with another stride or a 3×3 kernel is not a projection shortcut of this conv.
        Assert.Null(conv.TryForwardNormActWithProjection(x, bn, true, new Conv2d(16, 32, 1, rng, stride: 1, bias: false), pbn));
        Assert.Null(conv.TryForwardNormActWithProjection(x, bn, true, new Conv2d(16, 32, 3, rng, stride: 2, padding: 1, bias: false), pbn));
    }

    private static (Tensor Mean, Tensor Var, Tensor W, Tensor B) Stats(Rng rng, int o) =>
        (Tensor.Randn(rng, [o]), Tensor.Rand(rng, [o]).Add(0.1), Tensor.Randn(rng, [o]), Tensor.Randn(rng, [o]));
}
