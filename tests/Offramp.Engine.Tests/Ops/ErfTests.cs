using System.Runtime.Intrinsics;
using Offramp.Engine.Kernels;

namespace Offramp.Engine.Tests.Ops;

public class ErfTests
{
    // erf(x) to 20 digits (mpmath, 40-digit arithmetic).
    [Theory]
    [InlineData(1e-10, 1.1283791670955125739e-10)]
    [InlineData(1e-3, 0.0011283787909692363799)]
    [InlineData(0.1, 0.1124629160182848922)]
    [InlineData(0.3, 0.32862675945912742764)]
    [InlineData(0.46875, 0.49261347321793799159)]
    [InlineData(0.5, 0.52049987781304653768)]
    [InlineData(0.75, 0.7111556336535151316)]
    [InlineData(1.0, 0.84270079294971486934)]
    [InlineData(1.5, 0.96610514647531072707)]
    [InlineData(2.0, 0.99532226501895273416)]
    [InlineData(-3.0, -0.99997790950300141456)]
    [InlineData(3.5, 0.99999925690162765859)]
    [InlineData(4.0, 0.99999998458274209972)]
    [InlineData(4.5, 0.99999999980338395585)]
    [InlineData(5.0, 0.99999999999846254021)]
    [InlineData(6.0, 0.99999999999999997848)]
    public void Exact_KnownValues_MatchToMachinePrecision(double x, double expected)
    {
        double got = Erf.Exact(x);
        Assert.True(Math.Abs(got - expected) <= 1e-15 * Math.Abs(expected), $"erf({x}) = {got:R}, expected {expected:R}");
        Assert.Equal(-got, Erf.Exact(-x));
    }

    // erfc(x) to 20 digits, including the far tail where 1 − erf(x) would be 0.
    [Theory]
    [InlineData(0.5, 0.47950012218695346232)]
    [InlineData(1.0, 0.15729920705028513066)]
    [InlineData(-1.0, 1.8427007929497148693)]
    [InlineData(2.0, 0.0046777349810472658379)]
    [InlineData(5.0, 1.5374597944280348502e-12)]
    [InlineData(10.0, 2.088487583762544757e-45)]
    [InlineData(20.0, 5.3958656116079009289e-176)]
    [InlineData(26.0, 5.6631924088561428465e-296)]
    public void Complement_KnownValues_MatchToNearMachinePrecision(double x, double expected)
    {
        double got = Erf.Complement(x);
        Assert.True(Math.Abs(got - expected) <= 2e-15 * Math.Abs(expected), $"erfc({x}) = {got:R}, expected {expected:R}");
    }

    [Fact]
    public void Exact_SpecialValues_FollowLimits()
    {
        Assert.Equal(0.0, Erf.Exact(0.0));
        Assert.Equal(1.0, Erf.Exact(double.PositiveInfinity));
        Assert.Equal(-1.0, Erf.Exact(double.NegativeInfinity));
        Assert.True(double.IsNaN(Erf.Exact(double.NaN)));
        Assert.Equal(0.0, Erf.Complement(30.0));
        Assert.Equal(2.0, Erf.Complement(-30.0));
    }

    [Fact]
    public void Fast_OverRange_WithinFewUlpOfExact()
    {
        double maxAbs = 0, maxRel = 0;
        for (int i = -60000; i <= 60000; i++)
        {
            float x = i * 1e-4f;
            double exact = Erf.Exact(x);
            double err = Math.Abs(Erf.Fast(x) - exact);
            maxAbs = Math.Max(maxAbs, err);
            if (Math.Abs(exact) > 1e-30)
            {
                maxRel = Math.Max(maxRel, err / Math.Abs(exact));
            }
        }

        // The [13/8] rational is within 5 float32 ulp (worst near x ≈ 2.4-3.9, where erf is just below 1).
        Assert.True(maxAbs <= 4e-7 && maxRel <= 4e-7, $"max abs {maxAbs:G3}, max rel {maxRel:G3}");
        Assert.Equal(1e-20f * 1.1283791f, Erf.Fast(1e-20f), 1e-26f);
        Assert.True(float.IsNaN(Erf.Fast(float.NaN)));
        Assert.Equal(1f, Erf.Fast(float.PositiveInfinity));
        Assert.Equal(-1f, Erf.Fast(float.NegativeInfinity));
    }

    [Fact]
    public void FastVectorForms_EqualScalarFormLaneByLane()
    {
        var xs = new float[] { -7f, -4f, -3.3f, -1f, -0.25f, -0f, 0f, 1e-6f, 0.1f, 0.5f, 0.99f, 2f, 3.7f, 4f, 9f, float.NaN };
        var v512 = Erf.Fast(Vector512.Create(xs));
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(Erf.Fast(xs[i])), BitConverter.SingleToInt32Bits(v512[i]));
            var v256 = Erf.Fast(Vector256.Create(xs.AsSpan(i / 8 * 8, 8)));
            Assert.Equal(BitConverter.SingleToInt32Bits(Erf.Fast(xs[i])), BitConverter.SingleToInt32Bits(v256[i % 8]));
        }
    }
}
