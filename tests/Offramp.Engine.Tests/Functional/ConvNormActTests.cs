using Offramp.Engine.Functional;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Functional;

/// <summary>
/// <see cref="F.Conv2dNormAct"/> (the inference-mode conv → BatchNorm → + residual → ReLU fused into the
/// convolution's tiles) against the separate ops it replaces, bit for bit, over odd shapes (k blocks, column ranges,
/// row blocks of one image, groups, depthwise, strides, 1×1), every combination of bias / affine / residual / ReLU,
/// NaN and −0 inputs, and 1 and 2 threads; plus the fallbacks (gradients, float64) and
/// <see cref="Conv2d.ForwardNormAct"/> in both modes.
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class ConvNormActTests
{
    // N, C, H, W, O, KH, KW, sH, sW, pH, pW, dH, dW, groups
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 1, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // one image: column ranges
        new[] { 1, 64, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // one image: row blocks, 3 k blocks
        new[] { 3, 40, 9, 11, 53, 3, 3, 2, 1, 1, 0, 1, 1, 1 },    // odd O, asymmetric stride / padding
        new[] { 2, 3, 33, 29, 7, 5, 5, 1, 1, 2, 2, 1, 1, 1 },     // two column ranges per image
        new[] { 2, 6, 20, 20, 50, 3, 3, 1, 1, 1, 1, 2, 2, 2 },    // dilation, groups
        new[] { 2, 16, 28, 28, 32, 1, 1, 2, 2, 0, 0, 1, 1, 1 },   // 1×1 stride 2 (projection shortcut)
        new[] { 4, 17, 6, 6, 19, 1, 1, 1, 1, 0, 0, 1, 1, 1 },     // pointwise, odd sizes
        new[] { 3, 12, 9, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, 12 },    // depthwise, stride 2
        new[] { 2, 6, 7, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 6 },      // depthwise with channel multiplier 2 (O = 2C)
        new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1 },       // smallest
        new[] { 32, 6, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1 },     // several images per forward task: 2 × 49 columns
        new[] { 50, 3, 5, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1 },      // 3 images × 45 columns per task, a last task of 2
        new[] { 48, 4, 11, 11, 5, 3, 3, 1, 1, 1, 1, 2, 2, 1 },    // several images per task, dilation 2 (9 × 9 outputs)
        new[] { 3, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // direct kernel: a 1-channel stem, the epilogue per image
        new[] { 1, 3, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // direct kernel, one image: the epilogue per row range
        new[] { 2, 2, 9, 5, 17, 3, 3, 1, 1, 0, 1, 1, 1, 1 },      // direct kernel: O = 17, masked runs
        new[] { 40, 6, 14, 14, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // stride 2 → 7×7, several images per task (phase planes)
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_BitIdenticalToSeparateOps(int[] p)
    {
        var rng = new Rng(31);
        int n = p[0], c = p[1], o = p[4];
        var x = Tensor.Randn(rng, [n, c, p[2], p[3]]);
        x.SetFlat(0, float.NaN);
        if (x.Numel > 2)
        {
            x.SetFlat(1, -0.0);
        }

        var w = Tensor.Randn(rng, [o, c / p[13], p[5], p[6]]);
        var bias = Tensor.Randn(rng, [o]);
        var (mean, variance, bw, bb) = Stats(rng, o);
        using var noGrad = Engine.Autograd.NoGrad();
        var plain = F.Conv2d(x, w, null, (p[7], p[8]), (p[9], p[10]), (p[11], p[12]), p[13]);
        var residual = Tensor.Randn(rng, plain.Shape);
        foreach (bool hasBias in new[] { false, true })
        {
            foreach (bool affine in new[] { false, true })
            {
                foreach (bool withResidual in new[] { false, true })
                {
                    foreach (bool relu in new[] { false, true })
                    {
                        var cb = hasBias ? bias : null;
                        var res = withResidual ? residual : null;
                        var expected = F.BatchNorm(F.Conv2d(x, w, cb, (p[7], p[8]), (p[9], p[10]), (p[11], p[12]), p[13]),
                            mean, variance, affine ? bw : null, affine ? bb : null, training: false);
                        if (res is not null)
                        {
                            expected = expected.Add(res);
                        }

                        if (relu)
                        {
                            expected = expected.Relu();
                        }

                        var fused = F.Conv2dNormAct(x, w, cb, (p[7], p[8]), (p[9], p[10]), (p[11], p[12]), p[13], mean, variance,
                            affine ? bw : null, affine ? bb : null, 1e-5, res, relu);
                        Assert.Equal(expected.Shape, fused.Shape);
                        Assert.True(expected.ToArray().AsSpan().SequenceEqual(fused.ToArray()),
                            $"bias {hasBias} affine {affine} residual {withResidual} relu {relu}: fused differs from the separate ops");
                    }
                }
            }
        }
    }

    [Fact]
    public void Fused_ThreadCount_DoesNotChangeResult()
    {
        var rng = new Rng(5);
        var x = Tensor.Randn(rng, [3, 16, 28, 28]);
        var w = Tensor.Randn(rng, [32, 16, 3, 3]);
        var (mean, variance, bw, bb) = Stats(rng, 32);
        var residual = Tensor.Randn(rng, [3, 32, 14, 14]);
        int saved = Parallelism.Threads;
        try
        {
            using var noGrad = Engine.Autograd.NoGrad();
            Parallelism.Threads = 1;
            var one = F.Conv2dNormAct(x, w, null, (2, 2), (1, 1), (1, 1), 1, mean, variance, bw, bb, 1e-5, residual, true).ToArray();
            Parallelism.Threads = 2;
            var two = F.Conv2dNormAct(x, w, null, (2, 2), (1, 1), (1, 1), 1, mean, variance, bw, bb, 1e-5, residual, true).ToArray();
            Assert.Equal(one, two);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void WithGradients_RunsTheSeparateOpsAndBackpropagates()
    {
        var rng = new Rng(8);
        var x = Tensor.Randn(rng, [2, 4, 6, 6]).WithGrad();
        var w = Tensor.Randn(rng, [5, 4, 3, 3]).WithGrad();
        var (mean, variance, bw, bb) = Stats(rng, 5);
        var y = F.Conv2dNormAct(x, w, null, (1, 1), (1, 1), (1, 1), 1, mean, variance, bw, bb, 1e-5, null, true);
        Tensor expected;
        using (Engine.Autograd.NoGrad())
        {
            expected = F.BatchNorm(F.Conv2d(x, w, null, 1, 1), mean, variance, bw, bb, training: false).Relu();
        }

        Assert.Equal(expected.ToArray(), y.ToArray());
        y.Sum().Backward();
        Assert.NotNull(x.Grad);
        Assert.NotNull(w.Grad);
        Assert.Contains(w.Grad!.ToArray(), v => v != 0);
    }

    [Fact]
    public void Float64_MatchesSeparateOps()
    {
        var rng = new Rng(9);
        var x = Tensor.Randn(rng, [2, 3, 5, 5], DType.Float64);
        var w = Tensor.Randn(rng, [4, 3, 3, 3], DType.Float64);
        var mean = Tensor.Randn(rng, [4], DType.Float64);
        var variance = Tensor.Rand(rng, [4], DType.Float64).Add(0.5);
        var expected = F.BatchNorm(F.Conv2d(x, w, null, 1, 1), mean, variance, null, null, training: false).Relu();
        var y = F.Conv2dNormAct(x, w, null, (1, 1), (1, 1), (1, 1), 1, mean, variance, null, null, 1e-5, null, true);
        Assert.Equal(expected.ToArray(), y.ToArray());
    }

    [Fact]
    public void WrongStatsShape_NamesTheShapes()
    {
        var rng = new Rng(10);
        var x = Tensor.Randn(rng, [1, 3, 5, 5]);
        var w = Tensor.Randn(rng, [4, 3, 3, 3]);
        using var noGrad = Engine.Autograd.NoGrad();
        var e = Assert.Throws<ArgumentException>(() => F.Conv2dNormAct(x, w, null, (1, 1), (1, 1), (1, 1), 1,
            Tensor.Zeros(5), Tensor.Ones(4), null, null, 1e-5));
        Assert.Contains("running_mean must be (4,)", e.Message);
        Assert.Contains("got (5,)", e.Message);
    }

    [Fact]
    public void Module_EvalFusesAndTrainingUsesBatchStatistics()
    {
        var rng = new Rng(12);
        var conv = new Conv2d(3, 6, 3, rng, stride: 2, padding: 1, bias: false);
        var bn = new BatchNorm2d(6);
        var x = Tensor.Randn(rng, [4, 3, 9, 9]);

        // Training: batch statistics and a running-stat update, exactly as the separate modules.
        var bnRef = new BatchNorm2d(6);
        var train = conv.ForwardNormAct(x, bn, relu: true);
        var trainRef = bnRef.Forward(conv.Forward(x)).Relu();
        Assert.Equal(trainRef.ToArray(), train.ToArray());
        Assert.Equal(bnRef.RunningMean!.ToArray(), bn.RunningMean!.ToArray());
        Assert.Equal(1.0, bn.NumBatchesTracked!.GetFlat(0));

        bn.Eval();
        using var noGrad = Engine.Autograd.NoGrad();
        var residual = Tensor.Randn(rng, [4, 6, 5, 5]);
        Assert.Equal(bn.Forward(conv.Forward(x)).Add(residual).Relu().ToArray(), conv.ForwardNormAct(x, bn, residual, true).ToArray());
        Assert.Equal(1.0, bn.NumBatchesTracked!.GetFlat(0));
        var e = Assert.Throws<ArgumentException>(() => conv.ForwardNormAct(x, new BatchNorm2d(5)));
        Assert.Contains("BatchNorm2d(5)", e.Message);
    }

    private static (Tensor Mean, Tensor Var, Tensor W, Tensor B) Stats(Rng rng, int o) =>
        (Tensor.Randn(rng, [o]), Tensor.Rand(rng, [o]).Add(0.1), Tensor.Randn(rng, [o]), Tensor.Randn(rng, [o]));
}
