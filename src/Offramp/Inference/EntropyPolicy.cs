namespace Offramp.Inference;

/// <summary>Exit at k when the softmax entropy H_k ≤ τ_k, in nats (BranchyNet, DeeBERT, LGViT).</summary>
public sealed class EntropyPolicy : ThresholdPolicy
{
    /// <summary>Creates the policy; <paramref name="thresholds"/> has one τ_k per exit.</summary>
    /// <exception cref="ArgumentException">No thresholds, or one is NaN.</exception>
    public EntropyPolicy(IReadOnlyList<double> thresholds)
        : base(thresholds)
    {
    }

    /// <inheritdoc/>
    public override string Name => "entropy";

    /// <inheritdoc/>
    public override ConfidenceMeasure Measure => ConfidenceMeasure.Entropy;
}
