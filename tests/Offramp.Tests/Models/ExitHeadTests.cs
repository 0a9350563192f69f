using Offramp.Engine;
using Offramp.Models.Heads;

namespace Offramp.Tests.Models;

/// <summary>The exit heads: SDN's pooling rule and names, and both heads' values against hand computations.</summary>
public class ExitHeadTests
{
    private const double Atol = 1e-5;
    private const double Rtol = 1e-5;

    // SDN (aux_funcs.feature_reduction_formula): k = int(s / 4) for s ≥ 4, else no pooling; grid = int(s / k).
    [Theory]
    [InlineData(32, 8, 4)]
    [InlineData(28, 7, 4)]
    [InlineData(16, 4, 4)]
    [InlineData(14, 3, 4)]
    [InlineData(8, 2, 4)]
    [InlineData(7, 1, 7)]
    [InlineData(4, 1, 4)]
    [InlineData(3, 0, 3)]
    [InlineData(1, 0, 1)]
    public void SdnExitHead_PoolingRule_MatchesOfficialFormula(int side, int kernel, int grid)
    {
        var head = new SdnExitHead(2, side, side, 3, new Rng(0));
        Assert.Equal(kernel, head.KernelSize);
        Assert.Equal(grid, head.GridSize);
        Assert.Equal(kernel > 0, head.Alpha is not null);
        Assert.Equal([3, 2 * grid * grid], head.Linear.Weight.Shape);
        Assert.Equal(kernel > 0 ? ["alpha", "linear.weight", "linear.bias"] : ["linear.weight", "linear.bias"],
            head.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void SdnExitHead_AlphaInit_IsUniformZeroOne()
    {
        var alphas = Enumerable.Range(0, 200)
            .Select(i => new SdnExitHead(1, 8, 8, 2, new Rng((ulong)i)).Alpha!.Item()).ToList();
        Assert.All(alphas, a => Assert.InRange(a, 0.0, 1.0));
        Assert.InRange(alphas.Average(), 0.4, 0.6);
    }

    [Fact]
    public void SdnExitHead_Forward_MixesMaxAndAvgPoolThenLinear()
    {
        // (N, C, s, s) = (2, 3, 10, 10): k = 2, grid 5.
        const int n = 2, c = 3, s = 10, k = 2, g = 5, classes = 4;
        var head = new SdnExitHead(c, s, s, classes, new Rng(1));
        head.Alpha!.Fill(0.3);
        var x = Tensor.Randn(new Rng(2), [n, c, s, s]);
        var xs = x.ToArray();
        var feat = new float[n * c * g * g];
        for (int i = 0; i < n * c; i++)
        {
            for (int oy = 0; oy < g; oy++)
            {
                for (int ox = 0; ox < g; ox++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int dy = 0; dy < k; dy++)
                    {
                        for (int dx = 0; dx < k; dx++)
                        {
                            double v = xs[(i * s + oy * k + dy) * s + ox * k + dx];
                            max = Math.Max(max, v);
                            sum += v;
                        }
                    }

                    feat[(i * g + oy) * g + ox] = (float)(0.3 * max + 0.7 * sum / (k * k));
                }
            }
        }

        var expected = Linear(feat, n, c * g * g, head.Linear.Weight.ToArray(), head.Linear.Bias!.ToArray(), classes);
        ModelAssert.Close(expected, head.Forward(x), Atol, Rtol, "sdn head");
    }

    [Fact]
    public void SdnExitHead_KernelOne_IsTheLinearOnTheMapAndAlphaGetsNoGradient()
    {
        // s = 7 → k = 1: max and avg pools are the identity, so the head is Linear(flatten(x)) whatever alpha is.
        const int n = 3, c = 2, s = 7, classes = 4;
        var head = new SdnExitHead(c, s, s, classes, new Rng(4));
        Assert.Equal(1, head.KernelSize);
        var x = Tensor.Randn(new Rng(5), [n, c, s, s]);
        var expected = Linear(x.ToArray(), n, c * s * s, head.Linear.Weight.ToArray(), head.Linear.Bias!.ToArray(), classes);
        ModelAssert.Close(expected, head.Forward(x), Atol, Rtol, "sdn head k=1");
        head.Forward(x).Sum().Backward();
        Assert.Equal([0f], head.Alpha!.Grad!.ToArray());
    }

    [Fact]
    public void SdnExitHead_SmallMap_FlattensWithoutPooling()
    {
        var head = new SdnExitHead(2, 3, 3, 2, new Rng(3));
        var x = Tensor.Randn(new Rng(4), [2, 2, 3, 3]);
        var expected = Linear(x.ToArray(), 2, 18, head.Linear.Weight.ToArray(), head.Linear.Bias!.ToArray(), 2);
        ModelAssert.Close(expected, head.Forward(x), Atol, Rtol, "sdn head, no pooling");
    }

    [Fact]
    public void LinearExitHead_Forward_IsLinearOfChannelMeans()
    {
        const int n = 2, c = 3, hw = 5 * 4, classes = 2;
        var head = new LinearExitHead(c, classes, new Rng(5));
        Assert.Equal(["fc.weight", "fc.bias"], head.NamedParameters().Select(p => p.Name));
        var x = Tensor.Randn(new Rng(6), [n, c, 5, 4]);
        var xs = x.ToArray();
        var mean = new float[n * c];
        for (int i = 0; i < n * c; i++)
        {
            mean[i] = (float)xs.Skip(i * hw).Take(hw).Average(v => (double)v);
        }

        var expected = Linear(mean, n, c, head.Fc.Weight.ToArray(), head.Fc.Bias!.ToArray(), classes);
        ModelAssert.Close(expected, head.Forward(x), Atol, Rtol, "linear head");
    }

    [Fact]
    public void ExitHead_Create_ByKindAndRejectsUnknownOrNonSquare()
    {
        Assert.IsType<LinearExitHead>(ExitHead.Create(null, 4, 7, 7, 3, new Rng(0)));
        Assert.IsType<SdnExitHead>(ExitHead.Create("SDN", 4, 7, 7, 3, new Rng(0)));
        var e = Assert.Throws<ArgumentException>(() => ExitHead.Create("conv", 4, 7, 7, 3, new Rng(0)));
        Assert.Contains("linear, sdn", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SdnExitHead(4, 8, 6, 3, new Rng(0)));
        Assert.Throws<ArgumentException>(() => new LinearExitHead(4, 3, new Rng(0)).Forward(Tensor.Zeros(1, 5, 2, 2)));
    }

    /// <summary>y = x·Wᵀ + b in double: x (n, d), W (k, d).</summary>
    private static Tensor Linear(float[] x, int n, int d, float[] w, float[] b, int k)
    {
        var y = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double acc = b[j];
                for (int t = 0; t < d; t++)
                {
                    acc += (double)x[i * d + t] * w[j * d + t];
                }

                y[i * k + j] = (float)acc;
            }
        }

        return Tensor.FromArray(y, n, k);
    }
}
