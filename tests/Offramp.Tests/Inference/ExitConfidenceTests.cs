using Offramp.Inference;

namespace Offramp.Tests.Inference;

public sealed class ExitConfidenceTests
{
    private const double Atol = 1e-12;

    [Fact]
    public void MaxSoftmax_LogitsZeroAndLn3_IsThreeQuarters()
    {
        // softmax([0, ln 3]) = [1/4, 3/4].
        float[] y = [0f, MathF.Log(3f)];

        Assert.Equal(0.75, ExitConfidence.MaxSoftmax(y, isProbabilities: false), 6);
    }

    [Fact]
    public void MaxSoftmax_LargeLogits_DoesNotOverflow()
    {
        float[] y = [1000f, 1000f];

        Assert.Equal(0.5, ExitConfidence.MaxSoftmax(y, isProbabilities: false), 12);
    }

    [Fact]
    public void MaxSoftmax_Probabilities_IsLargestValue()
    {
        float[] p = [0.2f, 0.7f, 0.1f];

        Assert.Equal((double)0.7f, ExitConfidence.MaxSoftmax(p, isProbabilities: true));
    }

    [Fact]
    public void Entropy_EqualLogits_IsLnK()
    {
        float[] y = [3f, 3f, 3f, 3f];

        Assert.Equal(Math.Log(4), ExitConfidence.Entropy(y, isProbabilities: false), Atol);
    }

    [Fact]
    public void Entropy_ProbabilitiesWithZero_TreatsZeroLogZeroAsZero()
    {
        float[] p = [0.5f, 0.5f, 0f];

        Assert.Equal(Math.Log(2), ExitConfidence.Entropy(p, isProbabilities: true), Atol);
    }

    [Fact]
    public void Entropy_LogitsAndTheirSoftmax_Agree()
    {
        float[] y = [0.3f, -1.2f, 2.5f];
        double z = y.Sum(v => Math.Exp(v));
        float[] p = [.. y.Select(v => (float)(Math.Exp(v) / z))];

        Assert.Equal(ExitConfidence.Entropy(p, true), ExitConfidence.Entropy(y, false), 6);
    }

    [Fact]
    public void ArgMax_Tie_ReturnsFirst()
    {
        float[] y = [1f, 5f, 5f];

        Assert.Equal(1, ExitConfidence.ArgMax(y));
    }

    [Fact]
    public void Score_Entropy_IsNegatedEntropy()
    {
        float[] y = [0f, 1f];

        Assert.Equal(-ExitConfidence.Entropy(y, false), ExitConfidence.Score(ConfidenceMeasure.Entropy, y, false));
    }
}
