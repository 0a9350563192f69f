namespace Offramp.Inference;

/// <summary>The per-exit confidence a threshold policy compares with its threshold.</summary>
public enum ConfidenceMeasure
{
    /// <summary>Max-softmax probability c = max_c softmax(y)_c; exit when c ≥ τ_k (MSDNet, SDN, Dyn-Perceiver).</summary>
    MaxSoftmax,

    /// <summary>Entropy H = −Σ_c p_c ln p_c of the softmax, in nats; exit when H ≤ τ_k (BranchyNet, DeeBERT).</summary>
    Entropy,
}
