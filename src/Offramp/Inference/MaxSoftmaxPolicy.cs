namespace Offramp.Inference;

/// <summary>Exit at k when the max-softmax probability c_k ≥ τ_k (MSDNet, SDN, Dyn-Perceiver).</summary>
public sealed class MaxSoftmaxPolicy : ThresholdPolicy
{
    /// <summary>Creates the policy; <paramref name="thresholds"/> has one τ_k per exit.</summary>
    /// <exception cref="ArgumentException">No thresholds, or one is NaN.</exception>
    public MaxSoftmaxPolicy(IReadOnlyList<double> thresholds)
        : base(thresholds)
    {
    }

    /// <inheritdoc/>
    public override string Name => "max_softmax";

    /// <inheritdoc/>
    public override ConfidenceMeasure Measure => ConfidenceMeasure.MaxSoftmax;
}
