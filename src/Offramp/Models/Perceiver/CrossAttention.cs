// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `CrossAttention`: LayerNorm on the queries and
// (separately) on the keys/values, then multi-head attention. Pre-norm on both sides.
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>
/// Pre-norm cross-attention: <c>q_norm</c> (LayerNorm q_in), <c>kv_norm</c> (LayerNorm kv_in) and
/// <c>attention</c> (<see cref="MultiHeadAttention"/>). Returns the attention output without residual.
/// </summary>
public sealed class CrossAttention : Module
{
    /// <summary>Creates the block (see <see cref="MultiHeadAttention"/> for the widths).</summary>
    /// <exception cref="ArgumentException">A width is invalid.</exception>
    public CrossAttention(int numHeads, int qInChannels, int kvInChannels, Rng rng, int? qkChannels = null,
        int? vChannels = null, int rpbTokens = 0)
    {
        QNorm = RegisterModule("q_norm", new LayerNorm(qInChannels));
        KvNorm = RegisterModule("kv_norm", new LayerNorm(kvInChannels));
        Attention = RegisterModule("attention", new MultiHeadAttention(numHeads, qInChannels, kvInChannels, rng,
            qkChannels, vChannels, rpbTokens: rpbTokens));
    }

    /// <summary>Query norm.</summary>
    public LayerNorm QNorm { get; }

    /// <summary>Key/value norm.</summary>
    public LayerNorm KvNorm { get; }

    /// <summary>The attention.</summary>
    public MultiHeadAttention Attention { get; }

    /// <summary>Self-attention form (xq = xkv).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x) => Forward(x, x);

    /// <summary>xq: (B, Lq, q_in), xkv: (B, Lkv, kv_in) → (B, Lq, q_in).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public Tensor Forward(Tensor xq, Tensor xkv) => Attention.Forward(QNorm.Forward(xq), KvNorm.Forward(xkv));
}
