// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `SelfAttention`: LayerNorm, then multi-head
// attention of the tokens to themselves (qk = v = C, bias-free q/k/v).
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>Pre-norm self-attention: <c>norm</c> (LayerNorm C) and <c>attention</c>; no residual.</summary>
public sealed class SelfAttention : Module
{
    /// <summary>Creates the block.</summary>
    /// <exception cref="ArgumentException"><paramref name="channels"/> is not a positive multiple of the heads.</exception>
    public SelfAttention(int numHeads, int channels, Rng rng)
    {
        Norm = RegisterModule("norm", new LayerNorm(channels));
        Attention = RegisterModule("attention", new MultiHeadAttention(numHeads, channels, channels, rng));
    }

    /// <summary>The pre-norm.</summary>
    public LayerNorm Norm { get; }

    /// <summary>The attention.</summary>
    public MultiHeadAttention Attention { get; }

    /// <summary>x: (B, L, C) → (B, L, C).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x)
    {
        var n = Norm.Forward(x);
        return Attention.Forward(n, n);
    }
}
