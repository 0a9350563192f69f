using Offramp.Engine.Functional;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Functional;

public class SoftmaxTests
{
    [Theory]
    [GradCheckCase("softmax", "log_softmax")]
    [InlineData(new[] { 3, 4 }, -1)]
    [InlineData(new[] { 2, 3, 4 }, 1)]
    [InlineData(new[] { 2, 3, 2 }, 0)]
    [InlineData(new[] { 5 }, 0)]
    public void Softmax_Float64_PassesGradCheck(int[] shape, int axis)
    {
        var x = TestUtil.R64(11, shape);
        TestUtil.AssertGrad(a => F.Softmax(a[0], axis), x);
        TestUtil.AssertGrad(a => F.LogSoftmax(a[0], axis), x);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(0)]
    public void Softmax_Float32_MatchesDoubleComputation(int axis)
    {
        int[] shape = [3, 5, 4];
        var data = KernelTestData.Normal(1, 60, sigma: 3);
        var x = Tensor.FromArray(data, shape);
        var y = F.Softmax(x, axis);
        var ly = F.LogSoftmax(x, axis);
        int ax = Shape.NormAxis(axis, 3);
        var strides = Shape.Strides(shape);
        var expected = new float[60];
        var expectedLog = new float[60];
        for (int flat = 0; flat < 60; flat++)
        {
            // Independent computation: exp(x)/Σexp(x) in double (no max subtraction needed at this scale).
            int start = flat - (flat / strides[ax] % shape[ax]) * strides[ax];
            double sum = 0;
            for (int r = 0; r < shape[ax]; r++)
            {
                sum += Math.Exp(data[start + r * strides[ax]]);
            }

            expected[flat] = (float)(Math.Exp(data[flat]) / sum);
            expectedLog[flat] = (float)(data[flat] - Math.Log(sum));
        }

        TestUtil.AssertClose(expected, y.ToArray(), 1e-6, 1e-5, "softmax");
        TestUtil.AssertClose(expectedLog, ly.ToArray(), 1e-5, 1e-5, "log_softmax");
        using (Engine.Autograd.NoGrad())
        {
            var sums = y.Sum([ax]).ToArray();
            TestUtil.AssertClose(Enumerable.Repeat(1f, sums.Length).ToArray(), sums, 1e-6, 0, "row sums");
        }
    }

    [Fact]
    public void Softmax_HugeLogits_DoesNotOverflow()
    {
        var x = Tensor.FromArray(new float[] { 1000, 1001, 1002, -1000 }, 1, 4);
        var y = F.Softmax(x).ToArray();
        var ly = F.LogSoftmax(x).ToArray();
        double z = 1 + Math.Exp(1) + Math.Exp(2);
        TestUtil.AssertClose([(float)(1 / z), (float)(Math.E / z), (float)(Math.Exp(2) / z), 0f], y, 1e-7, 1e-6, "softmax");
        TestUtil.AssertClose([(float)-Math.Log(z), (float)(1 - Math.Log(z)), (float)(2 - Math.Log(z)), (float)(-2000 - Math.Log(z))], ly, 1e-4, 1e-6, "log_softmax");
    }

    [Fact]
    public void Softmax_Backward_MatchesFormula()
    {
        // d/dx Σ w·softmax(x) = y ⊙ (w − Σ w y), computed here in double.
        var data = new float[] { 0.3f, -1.2f, 2.0f, 0.5f };
        var w = new float[] { 1f, -2f, 0.5f, 3f };
        var x = Tensor.FromArray(data, 4).WithGrad();
        F.Softmax(x).Mul(Tensor.FromArray(w, 4)).Sum().Backward();
        double z = data.Sum(v => Math.Exp(v));
        var y = data.Select(v => Math.Exp(v) / z).ToArray();
        double s = y.Zip(w, (a, b) => a * b).Sum();
        TestUtil.AssertClose(y.Select((v, i) => (float)(v * (w[i] - s))).ToArray(), x.Grad!.ToArray(), 1e-6, 1e-5, "dx");
    }

    [Fact]
    public void SoftmaxKernel_ManyShapes_MatchesReference()
    {
        foreach (int o in new[] { 1, 3 })
        {
            foreach (int r in KernelTestData.Sizes)
            {
                foreach (int i in new[] { 1, 3, 17 })
                {
                    foreach (bool log in new[] { false, true })
                    {
                        int n = o * r * i;
                        var x = KernelTestData.Normal((ulong)(n + r), n, sigma: 2);
                        var g = KernelTestData.Normal((ulong)(n + 7), n);
                        var y = new float[n];
                        var dx = new float[n];
                        Engine.Kernels.Softmax.Forward<float>(x, y, o, r, i, log, new float[2 * i]);
                        Engine.Kernels.Softmax.Backward<float>(y, g, dx, o, r, i, log, new float[2 * i]);
                        var yRef = new double[n];
                        var dxRef = new double[n];
                        SoftmaxReference.Forward<double>(KernelTestData.ToDouble(x), yRef, o, r, i, log);
                        SoftmaxReference.Backward<double>(yRef, KernelTestData.ToDouble(g), dxRef, o, r, i, log);
                        string what = $"(O, R, I) = ({o}, {r}, {i}) log={log}";
                        TestUtil.AssertClose(KernelTestData.ToFloat(yRef), y, 1e-6, 1e-5, what + " forward");
                        TestUtil.AssertClose(KernelTestData.ToFloat(dxRef), dx, 1e-5, 1e-4, what + " backward");
                    }
                }
            }
        }
    }

    [Fact]
    public void Softmax_Scalar_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.Softmax(Tensor.Scalar(1.0)));
        Assert.Contains("softmax", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.LogSoftmax(Tensor.Zeros(2, 3), axis: 2));
    }

    [Fact]
    public void Softmax_ThreadCount_DoesNotChangeResult()
    {
        var x = Tensor.FromArray(KernelTestData.Normal(5, 4096 * 8), 4096, 8);
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var one = F.LogSoftmax(x).ToArray();
            Parallelism.Threads = 2;
            var two = F.LogSoftmax(x).ToArray();
            Assert.Equal(one, two);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
