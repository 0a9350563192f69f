using Offramp.Reports;

namespace Offramp.Tests.Reports;

public class AxisScaleTests
{
    [Fact]
    public void Linear_ZeroToOne_TicksEveryTwoTenths()
    {
        var s = AxisScale.Linear(0, 1);
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1], s.Ticks);
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], s.Labels);
        Assert.Equal((0.0, 1.0), (s.Min, s.Max));
    }

    [Fact]
    public void Linear_3To97_ExtendsToZeroAndHundredBy20()
    {
        var s = AxisScale.Linear(3, 97);
        Assert.Equal([0, 20, 40, 60, 80, 100], s.Ticks);
        Assert.Equal(["0", "20", "40", "60", "80", "100"], s.Labels);
        Assert.Equal((0.0, 100.0), (s.Min, s.Max));
    }

    [Theory]
    [InlineData(-0.5, 0.5, new[] { -0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6 })]
    [InlineData(0.31, 0.98, new[] { 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(0.0012, 0.0041, new[] { 0.001, 0.002, 0.003, 0.004, 0.005 })]
    [InlineData(-7, -3, new[] { -7.0, -6, -5, -4, -3 })]
    public void Linear_KnownRanges_NiceSteps(double min, double max, double[] expected) =>
        Assert.Equal(expected, AxisScale.Linear(min, max).Ticks);

    [Fact]
    public void Linear_StepIsOneTwoOrFiveTimesPowerOfTen()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            int p = rng.Next(-5, 8);
            double a = (rng.NextDouble() - 0.5) * Math.Pow(10, p);
            double b = a + (0.01 + rng.NextDouble()) * Math.Pow(10, p + rng.Next(-3, 4));
            var t = AxisScale.Linear(a, b).Ticks;
            double step = t[1] - t[0], mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
            Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
            Assert.InRange(t.Length, 2, 7);
            Assert.True(t[0] <= a && t[^1] >= b, $"[{a}, {b}] not covered by {t[0]}..{t[^1]}");
        }
    }

    [Fact]
    public void Linear_Millions_UsesSiSuffix()
    {
        var s = AxisScale.Linear(0, 3.2e6);
        Assert.Equal(["0", "1M", "2M", "3M", "4M"], s.Labels);
        Assert.Equal(["0", "0.5M", "1.0M", "1.5M"], AxisScale.Linear(0, 1.5e6).Labels);
        Assert.Equal(["0", "10k", "20k", "30k", "40k", "50k", "60k"], AxisScale.Linear(0, 60000).Labels);
    }

    [Fact]
    public void Linear_ConstantRange_IsWidened()
    {
        var s = AxisScale.Linear(5, 5);
        Assert.True(s.Min < 5 && s.Max > 5);
        Assert.True(AxisScale.Linear(0, 0).Max > 0);
    }

    [Fact]
    public void Linear_NoExtend_KeepsRangeAndInnerTicks()
    {
        var s = AxisScale.Linear(0.05, 0.97, extend: false);
        Assert.Equal((0.05, 0.97), (s.Min, s.Max));
        Assert.Equal([0.2, 0.4, 0.6, 0.8], s.Ticks);
    }

    [Fact]
    public void Linear_NaN_Throws() => Assert.Throws<ArgumentException>(() => AxisScale.Linear(double.NaN, 1));

    [Fact]
    public void Log10_TwoDecades_AddsTwoAndFive()
    {
        var s = AxisScale.Log10(2e5, 6.4e6);
        Assert.Equal([1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7], s.Ticks);
        Assert.Equal(["100k", "200k", "500k", "1M", "2M", "5M", "10M"], s.Labels);
        Assert.Equal(0.5, s.Fraction(1e6), 12);
    }

    [Fact]
    public void Log10_ManyDecades_ThinsToAboutEight()
    {
        var s = AxisScale.Log10(1e-6, 1e10);
        Assert.InRange(s.Ticks.Length, 5, 10);
        Assert.Equal(1e-6, s.Ticks[0]);
        Assert.Equal(1e10, s.Ticks[^1]);
    }

    [Fact]
    public void Log10_NonPositive_Throws() => Assert.Throws<ArgumentException>(() => AxisScale.Log10(0, 10));
}
