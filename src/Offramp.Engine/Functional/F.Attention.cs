namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale + bias)·V. q: (N, H, Lq, D), k: (N, H, Lk, D), v: (N, H, Lk, Dv),
    /// <paramref name="attnBias"/> broadcastable to (N, H, Lq, Lk) or null; scale defaults to 1/√D.
    /// Dropout on the attention weights when <paramref name="dropoutP"/> &gt; 0 (needs <paramref name="rng"/>).
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? attnBias = null,
        double dropoutP = 0.0, Rng? rng = null, double? scale = null) => throw Todo(nameof(ScaledDotProductAttention));
}
