using Offramp.Engine.Functional;

namespace Offramp.Engine.Tests.Functional;

public class LossTests
{
    private static readonly int[] Targets = [2, 0, 3];

    private static Tensor Probabilities64(ulong seed, int n, int k, bool withZeros = false)
    {
        var raw = Tensor.Uniform(new Rng(seed), [n, k], 0.1, 1.0, DType.Float64).ToDoubleArray();
        for (int i = 0; i < n; i++)
        {
            if (withZeros)
            {
                raw[i * k] = 0; // one impossible class per row
            }

            double s = raw.Skip(i * k).Take(k).Sum();
            for (int j = 0; j < k; j++)
            {
                raw[i * k + j] /= s;
            }
        }

        return Tensor.FromArray(raw, n, k);
    }

    [Theory]
    [GradCheckCase("cross_entropy")]
    [InlineData(0.0, Reduction.Mean)]
    [InlineData(0.1, Reduction.Mean)]
    [InlineData(0.2, Reduction.Sum)]
    [InlineData(0.1, Reduction.None)]
    public void CrossEntropy_Float64_PassesGradCheck(double smoothing, Reduction reduction)
    {
        var logits = TestUtil.R64(81, 3, 4);
        TestUtil.AssertGrad(a => F.CrossEntropy(a[0], Targets, smoothing, reduction), logits);
    }

    [Theory]
    [GradCheckCase("cross_entropy_soft")]
    [InlineData(0.0, Reduction.Mean)]
    [InlineData(0.1, Reduction.Sum)]
    [InlineData(0.1, Reduction.None)]
    public void CrossEntropySoft_Float64_PassesGradCheck(double smoothing, Reduction reduction)
    {
        var logits = TestUtil.R64(82, 3, 4);
        var targets = Probabilities64(83, 3, 4).WithGrad();
        TestUtil.AssertGrad(a => F.CrossEntropy(a[0], a[1], smoothing, reduction), logits, targets);
    }

    [Theory]
    [GradCheckCase("kl_div")]
    [InlineData(Reduction.BatchMean, false)]
    [InlineData(Reduction.Mean, false)]
    [InlineData(Reduction.Sum, true)]
    [InlineData(Reduction.None, true)]
    public void KlDiv_Float64_PassesGradCheck(Reduction reduction, bool logTarget)
    {
        Tensor input, target;
        using (Engine.Autograd.NoGrad())
        {
            input = F.LogSoftmax(Tensor.Randn(new Rng(84), [2, 3], DType.Float64));
            var p = Probabilities64(85, 2, 3);
            target = logTarget ? F.LogSoftmax(Tensor.Randn(new Rng(86), [2, 3], DType.Float64)) : p;
        }

        input.WithGrad();
        target.WithGrad();
        TestUtil.AssertGrad(a => F.KlDiv(a[0], a[1], reduction, logTarget), input, target);
    }

    [Fact]
    [GradCheckCase("kl_div")]
    public void KlDiv_ZeroTargets_InputGradPassesGradCheck()
    {
        // Zero targets sit on the edge of t·log t's domain, so only the input is perturbed here.
        var input = TestUtil.R64(87, 3, 4);
        var target = Probabilities64(88, 3, 4, withZeros: true);
        TestUtil.AssertGrad(a => F.KlDiv(a[0], target), input);
    }

    [Theory]
    [GradCheckCase("mse_loss", "l1_loss")]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void RegressionLosses_Float64_PassGradCheck(Reduction reduction)
    {
        // Targets offset by ±0.5 keep |x − y| away from the kink at 0.
        var x = TestUtil.R64(89, 2, 3);
        var y = x.Detach().Add(Tensor.FromArray(new double[] { 0.5, -0.5, 0.7, -0.6, 0.5, -0.9 }, 2, 3)).CloneData().WithGrad();
        TestUtil.AssertGrad(a => F.MseLoss(a[0], a[1], reduction), x, y);
        TestUtil.AssertGrad(a => F.L1Loss(a[0], a[1], reduction), x, y);
    }

    [Fact]
    public void CrossEntropy_LabelSmoothing_MatchesDirectComputation()
    {
        int n = 4, k = 5;
        double eps = 0.15;
        var data = KernelTestData.Normal(1, n * k, sigma: 3);
        int[] t = [4, 0, 2, 2];
        var logits = Tensor.FromArray(data, n, k);
        double total = 0;
        var perSample = new float[n];
        for (int i = 0; i < n; i++)
        {
            var row = data.Skip(i * k).Take(k).Select(v => (double)v).ToArray();
            double lse = Math.Log(row.Sum(Math.Exp));
            var logp = row.Select(v => v - lse).ToArray();
            double l = (1 - eps) * -logp[t[i]] + eps * logp.Average(v => -v);
            perSample[i] = (float)l;
            total += l;
        }

        Assert.Equal(total / n, F.CrossEntropy(logits, t, eps).Item(), 5);
        Assert.Equal(total, F.CrossEntropy(logits, t, eps, Reduction.Sum).Item(), 4);
        TestUtil.AssertClose(perSample, F.CrossEntropy(logits, t, eps, Reduction.None).ToArray(), 1e-5, 1e-5, "per-sample CE");
    }

    [Fact]
    public void CrossEntropy_Backward_IsSoftmaxMinusTargetOverN()
    {
        var data = KernelTestData.Normal(2, 3 * 4);
        var logits = Tensor.FromArray(data, 3, 4).WithGrad();
        F.CrossEntropy(logits, Targets).Backward();
        var expected = new float[12];
        for (int i = 0; i < 3; i++)
        {
            double z = data.Skip(i * 4).Take(4).Sum(v => Math.Exp(v));
            for (int j = 0; j < 4; j++)
            {
                expected[i * 4 + j] = (float)((Math.Exp(data[i * 4 + j]) / z - (j == Targets[i] ? 1 : 0)) / 3);
            }
        }

        TestUtil.AssertClose(expected, logits.Grad!.ToArray(), 1e-6, 1e-5, "dlogits");
    }

    [Fact]
    public void CrossEntropy_SoftOneHotTargets_MatchClassIndices()
    {
        var data = KernelTestData.Normal(3, 12, sigma: 2);
        var oneHot = new float[12];
        for (int i = 0; i < 3; i++)
        {
            oneHot[i * 4 + Targets[i]] = 1;
        }

        var a = Tensor.FromArray(data, 3, 4).WithGrad();
        var b = Tensor.FromArray(data, 3, 4).WithGrad();
        var hard = F.CrossEntropy(a, Targets, 0.1);
        var soft = F.CrossEntropy(b, Tensor.FromArray(oneHot, 3, 4), 0.1);
        Assert.Equal(hard.Item(), soft.Item(), 6);
        hard.Backward();
        soft.Backward();
        TestUtil.AssertClose(a.Grad!, b.Grad!, 1e-7, 1e-6, "dlogits hard vs soft");
    }

    [Fact]
    public void CrossEntropy_HugeLogits_IsFinite()
    {
        var logits = Tensor.FromArray(new float[] { 1000, -1000, 0, 500 }, 2, 2);
        var loss = F.CrossEntropy(logits, [1, 0], reduction: Reduction.None).ToArray();
        Assert.Equal(2000f, loss[0], 1e-3f);
        Assert.Equal(500f, loss[1], 1e-3f);
    }

    [Fact]
    public void CrossEntropy_BadTargets_ThrowNamingIndexAndK()
    {
        var logits = Tensor.Zeros(3, 4);
        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 4, 1]));
        Assert.Contains("target 4 at index 1", ex.Message);
        Assert.Contains("K = 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, -1, 1]));
        Assert.Contains("target -1 at index 1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 1]));
        Assert.Contains("2 targets for logits (3, 4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.Zeros(3, 5)));
        Assert.Contains("(3, 5)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Zeros(2, 3, 4), [0, 1]));
        Assert.Contains("(2, 3, 4)", ex.Message);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 1, 2], reduction: Reduction.BatchMean));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(logits, [0, 1, 2], labelSmoothing: 1.5));
    }

    [Fact]
    public void KlDiv_ZeroTargets_ContributeZero_AndReductionsAsPyTorch()
    {
        var input = Tensor.FromArray(new float[] { -1.2f, -0.5f, -2f, -0.1f, -3f, -0.7f }, 2, 3).WithGrad();
        var targetData = new float[] { 0, 0.25f, 0.75f, 0.5f, 0, 0.5f };
        var target = Tensor.FromArray(targetData, 2, 3).WithGrad();
        var pointwise = F.KlDiv(input, target, Reduction.None).ToArray();
        var x = input.ToArray();
        double sum = 0;
        for (int i = 0; i < 6; i++)
        {
            double t = targetData[i];
            double expected = t == 0 ? 0 : t * (Math.Log(t) - x[i]);
            Assert.Equal(expected, pointwise[i], 6);
            sum += expected;
        }

        Assert.Equal(sum / 2, F.KlDiv(input, target).Item(), 6);
        Assert.Equal(sum / 6, F.KlDiv(input, target, Reduction.Mean).Item(), 6);
        Assert.Equal(sum, F.KlDiv(input, target, Reduction.Sum).Item(), 5);

        F.KlDiv(input, target, Reduction.Sum).Backward();
        var dt = target.Grad!.ToArray();
        var dx = input.Grad!.ToArray();
        for (int i = 0; i < 6; i++)
        {
            double t = targetData[i];
            Assert.Equal(-t, dx[i], 6);
            Assert.Equal(t == 0 ? 0 : Math.Log(t) + 1 - x[i], dt[i], 5);
            Assert.True(float.IsFinite(dt[i]));
        }
    }

    [Fact]
    public void KlDiv_LogTarget_EqualsProbabilityTarget()
    {
        var input = Tensor.FromArray(new float[] { -1.2f, -0.5f, -2f, -0.1f }, 2, 2);
        var p = new float[] { 0.3f, 0.7f, 0.9f, 0.1f };
        var logP = Tensor.FromArray(p.Select(v => MathF.Log(v)).ToArray(), 2, 2);
        Assert.Equal(F.KlDiv(input, Tensor.FromArray(p, 2, 2)).Item(), F.KlDiv(input, logP, logTarget: true).Item(), 5);
    }

    [Fact]
    public void MseAndL1_MatchDefinitions_L1GradZeroAtTie()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2).WithGrad();
        var y = Tensor.FromArray(new float[] { 1.5f, 2, 1, 5 }, 2, 2);
        Assert.Equal((0.25 + 0 + 4 + 1) / 4, F.MseLoss(x, y).Item(), 6);
        Assert.Equal(0.25 + 0 + 4 + 1, F.MseLoss(x, y, Reduction.Sum).Item(), 6);
        Assert.Equal([0.25f, 0, 4, 1], F.MseLoss(x, y, Reduction.None).ToArray());
        Assert.Equal((0.5 + 0 + 2 + 1) / 4, F.L1Loss(x, y).Item(), 6);
        F.L1Loss(x, y, Reduction.Sum).Backward();
        Assert.Equal([-1f, 0f, 1f, -1f], x.Grad!.ToArray());
        x.Grad = null;
        F.MseLoss(x, y).Backward();
        Assert.Equal([-0.25f, 0f, 1f, -0.5f], x.Grad!.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => F.MseLoss(x, Tensor.Zeros(4)));
        Assert.Contains("input (2, 2) and target (4,)", ex.Message);
        Assert.Throws<ArgumentException>(() => F.L1Loss(x, y, Reduction.BatchMean));
    }
}
