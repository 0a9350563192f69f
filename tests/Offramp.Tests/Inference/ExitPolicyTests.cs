using Offramp.Inference;

namespace Offramp.Tests.Inference;

public sealed class ExitPolicyTests
{
    /// <summary>A (k+1, K) buffer of one sample's outputs, seen at exit k.</summary>
    private static bool Decide(IExitPolicy policy, float[][] outputs, bool probabilities = false)
    {
        float[] flat = [.. outputs.SelectMany(o => o)];
        int k = outputs[0].Length;
        return policy.ShouldExit(new SampleOutputs(flat, 0, k, outputs.Length, k, probabilities));
    }

    [Fact]
    public void MaxSoftmax_ConfidenceEqualToThreshold_Exits()
    {
        var policy = new MaxSoftmaxPolicy([0.75f, double.NegativeInfinity]);
        float[] y = [0.25f, 0.75f];

        Assert.True(Decide(policy, [y], probabilities: true));
    }

    [Fact]
    public void MaxSoftmax_ConfidenceBelowThreshold_Continues()
    {
        // softmax([0, ln 3]) max = 0.75 < 0.76.
        var policy = new MaxSoftmaxPolicy([0.76, double.NegativeInfinity]);

        Assert.False(Decide(policy, [[0f, MathF.Log(3f)]]));
    }

    [Fact]
    public void MaxSoftmax_PerExitThresholds_UsesTheCurrentExitsThreshold()
    {
        // Confidence 0.75 at both exits: exit 0 needs 0.8, exit 1 needs 0.7.
        var policy = new MaxSoftmaxPolicy([0.8, 0.7, double.NegativeInfinity]);
        float[] y = [0.25f, 0.75f];

        Assert.False(Decide(policy, [y], probabilities: true));
        Assert.True(Decide(policy, [y, y], probabilities: true));
    }

    [Fact]
    public void Entropy_BelowThreshold_Exits()
    {
        // H(softmax([0, 0])) = ln 2 ≈ 0.6931.
        var policy = new EntropyPolicy([0.7, double.PositiveInfinity]);

        Assert.True(Decide(policy, [[0f, 0f]]));
    }

    [Fact]
    public void Entropy_AboveThreshold_Continues()
    {
        var policy = new EntropyPolicy([0.69, double.PositiveInfinity]);

        Assert.False(Decide(policy, [[0f, 0f]]));
    }

    [Fact]
    public void ThresholdPolicy_NaNThreshold_Throws()
    {
        Assert.Throws<ArgumentException>(() => new MaxSoftmaxPolicy([0.5, double.NaN]));
    }

    [Fact]
    public void ThresholdPolicy_ExitBeyondThresholds_Throws()
    {
        var policy = new MaxSoftmaxPolicy([0.5]);

        Assert.Throws<ArgumentException>(() => Decide(policy, [[0f, 1f], [0f, 1f]]));
    }

    [Fact]
    public void Patience_ArgmaxSequence_ExitsWhenTheLastTwoAgree()
    {
        // Argmax per exit: 1, 0, 0.
        var policy = PatiencePolicy.Classification(2);
        float[] a = [0f, 1f], b = [1f, 0f];

        Assert.False(Decide(policy, [a]));
        Assert.False(Decide(policy, [a, b]));
        Assert.True(Decide(policy, [a, b, b]));
    }

    [Fact]
    public void Patience_One_ExitsAtFirstExit()
    {
        Assert.True(Decide(PatiencePolicy.Classification(1), [[0.3f, 0.1f]]));
    }

    [Fact]
    public void Patience_ThreeAgreeingNeeded_TwoAreNotEnough()
    {
        var policy = PatiencePolicy.Classification(3);
        float[] a = [0f, 1f], b = [1f, 0f];

        Assert.False(Decide(policy, [b, a, a]));
        Assert.True(Decide(policy, [b, a, a, a]));
    }

    [Fact]
    public void PatienceRegression_LastTwoWithinTolerance_Exits()
    {
        var policy = PatiencePolicy.Regression(2, 0.1);

        Assert.False(Decide(policy, [[1.0f], [1.3f]]));
        Assert.True(Decide(policy, [[1.0f], [1.3f], [1.35f]]));
    }

    [Fact]
    public void PatienceRegression_DriftWithSmallSteps_Continues()
    {
        // Consecutive steps 0.08 < δ = 0.1 (PABEE would exit), but the window spans 0.16 > δ.
        var policy = PatiencePolicy.Regression(3, 0.1);

        Assert.False(Decide(policy, [[1.0f, 0f], [1.08f, 0f], [1.16f, 0f]]));
    }

    [Fact]
    public void PatienceRegression_AnyDimensionOutside_Continues()
    {
        var policy = PatiencePolicy.Regression(2, 0.1);

        Assert.False(Decide(policy, [[1.0f, 0f], [1.0f, 0.5f]]));
        Assert.True(Decide(policy, [[1.0f, 0.45f], [1.0f, 0.5f]]));
    }

    [Fact]
    public void Patience_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PatiencePolicy.Classification(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PatiencePolicy.Regression(2, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PatiencePolicy.Regression(2, double.NaN));
    }

    [Fact]
    public void SampleOutputs_ExitNotSeenYet_Throws()
    {
        float[] flat = [1f, 2f, 3f, 4f];

        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleOutputs(flat, 0, 2, 1, 2, false)[1].Length);
    }

    [Fact]
    public void SampleOutputs_DoesNotFit_Throws()
    {
        float[] flat = [1f, 2f, 3f];

        Assert.Throws<ArgumentOutOfRangeException>(() => new SampleOutputs(flat, 0, 2, 2, 2, false).Count);
    }
}
