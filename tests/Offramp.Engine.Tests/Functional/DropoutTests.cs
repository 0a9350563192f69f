using Offramp.Engine.Functional;

namespace Offramp.Engine.Tests.Functional;

public class DropoutTests
{
    [Fact]
    [GradCheckCase("dropout")]
    public void Dropout_Float64_PassesGradCheck()
    {
        var x = TestUtil.R64(51, 3, 4);
        TestUtil.AssertGrad(a => F.Dropout(a[0], 0.4, training: true, new Rng(7)), x);
        TestUtil.AssertGrad(a => F.Dropout(a[0], 1.0, training: true, new Rng(7)), x);
    }

    [Fact]
    [GradCheckCase("drop_path")]
    public void DropPath_Float64_PassesGradCheck()
    {
        var x = TestUtil.R64(52, 4, 2, 3);
        TestUtil.AssertGrad(a => F.DropPath(a[0], 0.5, training: true, new Rng(3)), x);
        TestUtil.AssertGrad(a => F.DropPath(a[0], 0.5, training: true, new Rng(3), scaleByKeep: false), x);
    }

    [Fact]
    public void Dropout_Training_ZeroesOrScalesEachElement()
    {
        var x = Tensor.FromArray(KernelTestData.Uniform(1, 20_000, 0.5, 1.5), 100, 200);
        var y = F.Dropout(x, 0.3, training: true, new Rng(9));
        var xs = x.ToArray();
        var ys = y.ToArray();
        int kept = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            if (ys[i] != 0)
            {
                kept++;
                Assert.Equal(xs[i] / 0.7f, ys[i], 1e-5f);
            }
        }

        // 20 000 Bernoulli(0.7) draws: σ ≈ 65, so ±400 is over 6σ.
        Assert.InRange(kept, 14_000 - 400, 14_000 + 400);
    }

    [Fact]
    public void Dropout_SameSeed_SameMaskForBothTypes()
    {
        var x32 = Tensor.Ones(5, 7);
        var x64 = Tensor.Full([5, 7], 1.0, DType.Float64);
        var a = F.Dropout(x32, 0.5, true, new Rng(42)).ToArray();
        var b = F.Dropout(x32, 0.5, true, new Rng(42)).ToArray();
        var c = F.Dropout(x64, 0.5, true, new Rng(42)).ToArray();
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.NotEqual(a, F.Dropout(x32, 0.5, true, new Rng(43)).ToArray());
    }

    [Fact]
    public void Dropout_Backward_UsesTheForwardMask()
    {
        var x = Tensor.FromArray(KernelTestData.Uniform(2, 64, 1, 2), 64).WithGrad();
        var y = F.Dropout(x, 0.5, true, new Rng(5));
        y.Sum().Backward();
        var ys = y.ToArray();
        var xs = x.ToArray();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(ys[i] == 0 ? 0f : 2f, g[i]);
            Assert.Equal(ys[i], xs[i] * g[i], 1e-6f);
        }
    }

    [Fact]
    public void Dropout_EvalOrZeroP_IsIdentity_AndOneP_IsZeros()
    {
        var x = Tensor.FromArray(new float[] { 1, -2, 3 }, 3);
        Assert.Same(x, F.Dropout(x, 0.5, training: false, new Rng(1)));
        Assert.Same(x, F.Dropout(x, 0.0, training: true, new Rng(1)));
        Assert.Equal([0f, 0f, 0f], F.Dropout(x, 1.0, training: true, new Rng(1)).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, 1.5, true, new Rng(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, double.NaN, true, new Rng(1)));
    }

    [Fact]
    public void DropPath_DropsWholeSamples()
    {
        int n = 64;
        var x = Tensor.FromArray(KernelTestData.Uniform(3, n * 6, 0.5, 1.5), n, 2, 3);
        var y = F.DropPath(x, 0.25, training: true, new Rng(11)).ToArray();
        var xs = x.ToArray();
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            bool sampleKept = y[i * 6] != 0;
            kept += sampleKept ? 1 : 0;
            for (int j = 0; j < 6; j++)
            {
                Assert.Equal(sampleKept ? xs[i * 6 + j] / 0.75f : 0f, y[i * 6 + j], 1e-5f);
            }
        }

        Assert.InRange(kept, 1, n - 1);
        var unscaled = F.DropPath(x, 0.25, training: true, new Rng(11), scaleByKeep: false).ToArray();
        for (int i = 0; i < n * 6; i++)
        {
            Assert.Equal(y[i] == 0 ? 0f : xs[i], unscaled[i]);
        }

        Assert.Same(x, F.DropPath(x, 0.25, training: false, new Rng(11)));
        Assert.Equal(new float[n * 6], F.DropPath(x, 1.0, training: true, new Rng(11)).ToArray());
    }
}
