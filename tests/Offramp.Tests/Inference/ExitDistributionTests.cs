using Offramp.Inference;

namespace Offramp.Tests.Inference;

public sealed class ExitDistributionTests
{
    private const double Atol = 1e-12;

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double atol)
    {
        Assert.Equal(expected.Count, actual.Count);
        var diff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).ToList();
        double max = diff.Max();
        Assert.True(max <= atol, $"max |diff| {max:G4} > atol {atol:G4} at index {diff.IndexOf(max)}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
    }

    [Fact]
    public void Geometric_PIsOne_IsUniform()
    {
        AssertClose([0.25, 0.25, 0.25, 0.25], ExitDistribution.Geometric(1, 4), Atol);
    }

    [Fact]
    public void Geometric_PIsHalf_IsProportionalToPowers()
    {
        // q ∝ [1/2, 1/4, 1/8] = [4, 2, 1] / 7.
        AssertClose([4 / 7.0, 2 / 7.0, 1 / 7.0], ExitDistribution.Geometric(0.5, 3), Atol);
    }

    [Fact]
    public void Geometric_HugeP_DoesNotOverflow()
    {
        var q = ExitDistribution.Geometric(1e6, 50);

        Assert.Equal(1.0, q.Sum(), Atol);
        Assert.Equal(1.0, q[^1], 5);
    }

    [Fact]
    public void Geometric_NonPositiveP_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ExitDistribution.Geometric(0, 3));
    }

    [Fact]
    public void MsdNetPValues_AreOneTwentiethToThirtyNineTwentieths()
    {
        var p = ExitDistribution.MsdNetPValues;

        Assert.Equal(39, p.Count);
        Assert.Equal(1 / 20.0, p[0]);
        Assert.Equal(39 / 20.0, p[^1]);
    }

    [Fact]
    public void DynPerceiverPValues_ThirtyThreeValuesWithOneTwice()
    {
        var p = ExitDistribution.DynPerceiverPValues;

        Assert.Equal(33, p.Count);
        Assert.Equal(0.2, p[0]);
        Assert.Equal(1.0, p[16]);
        Assert.Equal(1.0, p[17]);
        Assert.Equal(20 / 19.0, p[18]);
        Assert.Equal(4.0, p[32]);
        Assert.Equal(p.Order(), p);
    }

    [Fact]
    public void DynPerceiver_EveryPValue_SumsToOneAndNonNegative()
    {
        foreach (double p in ExitDistribution.DynPerceiverPValues)
        {
            var q = ExitDistribution.DynPerceiver(p);

            Assert.Equal(4, q.Length);
            Assert.Equal(1.0, q.Sum(), Atol);
            Assert.All(q, v => Assert.True(v > 0));
        }
    }

    [Fact]
    public void DynPerceiver_PIsOne_MatchesHandComputation()
    {
        // [.25]*4 → q1 = .2125, rest .2625 each → q2 stays → q3 = .13125, q4 = 1 − .2125 − .2625 − .13125.
        AssertClose([0.2125, 0.2625, 0.13125, 0.39375], ExitDistribution.DynPerceiver(1.0), Atol);
    }

    [Theory]
    [InlineData(0.2, 0.681, 0.257, 0.026, 0.036)]
    [InlineData(4.0, 0.010, 0.047, 0.094, 0.849)]
    public void DynPerceiver_PaperNoteExamples_Match(double p, double q1, double q2, double q3, double q4)
    {
        // dynamic-perceiver.md §A.5 examples, given to three decimals.
        AssertClose([q1, q2, q3, q4], ExitDistribution.DynPerceiver(p), 5e-4);
    }

    [Fact]
    public void Reshape_FactorAboveOne_Throws()
    {
        Assert.Throws<ArgumentException>(() => ExitDistribution.Reshape([0.5, 0.5], [1.5, 1]));
    }

    [Fact]
    public void Family_DynPerceiverDefault_HasFourExitsAnd33Points()
    {
        var f = ExitDistributionFamily.DynPerceiver();

        Assert.Equal(4, f.Exits);
        Assert.Equal(33, f.SweepPValues.Count);
        Assert.Equal(ExitDistribution.DynPerceiver(0.35), f.Generate(0.35));
    }

    [Fact]
    public void Family_DynPerceiverCustomFactors_SumsToOne()
    {
        var f = ExitDistributionFamily.DynPerceiver([0.9, 0.5, 1]);

        Assert.Equal(3, f.Exits);
        Assert.Equal(1.0, f.Generate(2.0).Sum(), Atol);
    }

    [Fact]
    public void OneHot_PutsAllMassOnTheExit()
    {
        Assert.Equal([0.0, 1.0, 0.0], ExitDistribution.OneHot(1, 3));
    }
}
