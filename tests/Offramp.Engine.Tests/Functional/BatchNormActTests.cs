using Offramp.Engine.Functional;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Functional;

/// <summary>
/// <see cref="F.BatchNormAct"/> (BatchNorm, the residual's addition and ReLU as one op — a ResNet block's tail in
/// training) against <see cref="F.BatchNorm"/>, <c>Tensor.Add</c> and <c>Tensor.Relu</c> run one after the other:
/// outputs, running statistics and every gradient bit for bit, over odd plane sizes (1, 7×7, 17, 33: vector blocks
/// and scalar tails), with and without residual / ReLU / affine parameters, training and eval, NaN and −0 in the
/// input; a float64 gradient check; <see cref="BatchNorm.ForwardAct"/>.
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class BatchNormActTests
{
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 3, 5, 7, 7 },   // 49 per plane: 3 vectors + 1
        new[] { 4, 3, 1 },      // one value per plane: scalar only
        new[] { 2, 4, 17 },
        new[] { 2, 6, 33 },
        new[] { 5, 2 },         // (N, C)
        new[] { 2, 9, 4, 4 },   // 16: one whole vector
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesSeparateOps_BitForBit(int[] shape)
    {
        int c = shape[1];
        foreach (bool training in new[] { true, false })
        {
            foreach (bool residual in new[] { false, true })
            {
                foreach (bool relu in new[] { false, true })
                {
                    foreach (bool affine in new[] { true, false })
                    {
                        if (!residual && !relu)
                        {
                            continue;
                        }

                        string what = $"{string.Join("x", shape)} training={training} residual={residual} relu={relu} affine={affine}";
                        var fused = Run(shape, c, training, residual, relu, affine, fusedOp: true);
                        var plain = Run(shape, c, training, residual, relu, affine, fusedOp: false);
                        for (int i = 0; i < plain.Length; i++)
                        {
                            Assert.True(plain[i].Length == fused[i].Length, $"{what}: output {i} length");
                            Assert.True(BitEqual(plain[i], fused[i]), $"{what}: output {i} (y, running mean/var, dx, dw, db, dr) differs");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]  // one value per plane: the scalar loop
    [InlineData(20)] // a vector block and a scalar tail
    public void Relu_TurnsNegativeZeroToPositiveZero_AndKeepsNaN(int s)
    {
        // Eval with mean 0, rstd 1 (var 1 − eps), weight 1, bias −0 and a −0 residual: x − 0 = x, x·1 = x, x + (−0) = x,
        // so −0 (−0 + −0), NaN and a negative value reach the ReLU as they are.
        var values = new[] { -0f, float.NaN, -2f, 3f };
        var xData = Enumerable.Range(0, 4 * s).Select(i => values[(i / s) % 4] * (s == 1 ? 1 : 1 + (i % 3))).ToArray();
        var x = Tensor.FromArray(xData, 1, 4, s);
        var rm = Tensor.Zeros([4]);
        var rv = Tensor.Full([4], 1.0 - 1e-5);
        var w = Tensor.Full([4], 1.0);
        var bias = Tensor.FromArray(new[] { -0f, -0f, -0f, -0f }, 4);
        var r = Tensor.FromArray(Enumerable.Repeat(-0f, 4 * s).ToArray(), 1, 4, s);
        var fused = F.BatchNormAct(x, rm, rv, w, bias, training: false, 0.1, 1e-5, r, relu: true).ToArray();
        var plain = F.BatchNorm(x, rm, rv, w, bias, training: false).Add(r).Relu().ToArray();
        var beforeRelu = F.BatchNorm(x, rm, rv, w, bias, training: false).Add(r).ToArray();
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(beforeRelu[0])); // the case is real
        Assert.True(BitEqual(plain, fused), $"{string.Join(",", plain)} vs {string.Join(",", fused)}");
        Assert.Equal(0, BitConverter.SingleToInt32Bits(fused[0]));
        Assert.True(float.IsNaN(fused[s]));
    }

    [Theory]
    [GradCheckCase("batch_norm_act")]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 2, 3, 2 })]
    [InlineData(new[] { 2, 2, 3, 3 })]
    public void PassesGradCheck(int[] shape)
    {
        int c = shape[1];
        var x = TestUtil.R64(51, shape);
        var w = TestUtil.R64(52, c);
        var b = TestUtil.R64(53, c);
        var r = TestUtil.R64(54, shape);
        var rm = Tensor.Zeros([c], DType.Float64);
        var rv = Tensor.Full([c], 1.0, DType.Float64);
        TestUtil.AssertGrad(a => F.BatchNormAct(a[0], rm, rv, a[1], a[2], true, 0.1, 1e-5, a[3], relu: true), x, w, b, r);
        TestUtil.AssertGrad(a => F.BatchNormAct(a[0], null, null, null, null, true, 0.1, 1e-5, null, relu: true), x);
        TestUtil.AssertGrad(a => F.BatchNormAct(a[0], null, null, a[1], a[2], true, 0.1, 1e-5, a[3], relu: false), x, w, b, r);
        var rmEval = Tensor.Randn(new Rng(55), [c], DType.Float64);
        var rvEval = Tensor.Full([c], 0.7, DType.Float64);
        TestUtil.AssertGrad(a => F.BatchNormAct(a[0], rmEval, rvEval, a[1], a[2], false, 0.1, 1e-5, a[3], relu: true), x, w, b, r);
    }

    [Fact]
    public void RejectsResidualOfAnotherShape()
    {
        var x = Tensor.Zeros([2, 3, 4]);
        var ex = Assert.Throws<ArgumentException>(() =>
            F.BatchNormAct(x, null, null, null, null, true, 0.1, 1e-5, Tensor.Zeros([2, 3, 5]), relu: true));
        Assert.Contains("(2, 3, 5)", ex.Message);
        Assert.Contains("(2, 3, 4)", ex.Message);
    }

    [Fact]
    public void ModuleForwardAct_MatchesForwardAddRelu_AndTracksBatches()
    {
        var a = new BatchNorm2d(4);
        var b = new BatchNorm2d(4);
        var x = Tensor.Randn(new Rng(61), [3, 4, 5, 5]);
        var r = Tensor.Randn(new Rng(62), [3, 4, 5, 5]);
        var fused = a.ForwardAct(x, r, relu: true).ToArray();
        var plain = b.Forward(x).Add(r).Relu().ToArray();
        Assert.True(BitEqual(plain, fused));
        Assert.True(BitEqual(b.RunningMean!.ToArray(), a.RunningMean!.ToArray()));
        Assert.True(BitEqual(b.RunningVar!.ToArray(), a.RunningVar!.ToArray()));
        Assert.Equal(b.NumBatchesTracked!.GetFlat(0), a.NumBatchesTracked!.GetFlat(0));
    }

    // y, running mean, running var, dx, dw, db, dresidual (empty where absent), for one configuration.
    private static float[][] Run(int[] shape, int c, bool training, bool residual, bool relu, bool affine, bool fusedOp)
    {
        var xData = Tensor.Randn(new Rng(71), shape).ToArray();
        xData[0] = -0f;
        if (!training)
        {
            xData[^1] = float.NaN; // eval: a NaN stays in its own element
        }

        var x = Tensor.FromArray(xData, shape).WithGrad();
        var w = affine ? Tensor.Randn(new Rng(72), [c]).WithGrad() : null;
        var b = affine ? Tensor.Randn(new Rng(73), [c]).WithGrad() : null;
        var r = residual ? Tensor.Randn(new Rng(74), shape).WithGrad() : null;
        var rm = Tensor.Randn(new Rng(75), [c]);
        var rv = Tensor.FromArray(Tensor.Randn(new Rng(76), [c]).ToArray().Select(v => (v * v) + 0.5f).ToArray(), c);
        var y = fusedOp
            ? F.BatchNormAct(x, rm, rv, w, b, training, 0.1, 1e-5, r, relu)
            : Tail(F.BatchNorm(x, rm, rv, w, b, training, 0.1, 1e-5), r, relu);
        var up = Tensor.Randn(new Rng(77), shape);
        y.Mul(up).Sum().Backward();
        return [y.ToArray(), rm.ToArray(), rv.ToArray(), x.Grad!.ToArray(), w?.Grad!.ToArray() ?? [], b?.Grad!.ToArray() ?? [],
            r?.Grad!.ToArray() ?? []];

        static Tensor Tail(Tensor t, Tensor? r, bool relu)
        {
            if (r is not null)
            {
                t = t.Add(r);
            }

            return relu ? t.Relu() : t;
        }
    }

    private static bool BitEqual(float[] a, float[] b) =>
        a.Length == b.Length && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));
}
