// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `CrossAttentionLayer`:
// out = q + CrossAttention(q, kv); out = out + MLP(out). Used for X2Z (latent queries, feature keys) and Z2X
// (feature queries, latent keys).
// Deviations: none (dropout is 0 in every official configuration and is left out).
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>
/// The cross-attention layer: <c>cross_attn</c> (<see cref="CrossAttention"/>) with a residual on the queries, then
/// <c>mlp</c> (<see cref="PerceiverMlp"/> over the query width) with a residual.
/// </summary>
public sealed class CrossAttentionLayer : Module
{
    /// <summary>Creates the layer (widths as <see cref="MultiHeadAttention"/>; the output width is q_in).</summary>
    /// <exception cref="ArgumentException">A width is invalid.</exception>
    public CrossAttentionLayer(int numHeads, int qInChannels, int kvInChannels, Rng rng, int? qkChannels = null,
        int? vChannels = null, int wideningFactor = 1, int rpbTokens = 0)
    {
        CrossAttn = RegisterModule("cross_attn",
            new CrossAttention(numHeads, qInChannels, kvInChannels, rng, qkChannels, vChannels, rpbTokens));
        Mlp = RegisterModule("mlp", new PerceiverMlp(qInChannels, wideningFactor, rng));
    }

    /// <summary>The attention.</summary>
    public CrossAttention CrossAttn { get; }

    /// <summary>The MLP.</summary>
    public PerceiverMlp Mlp { get; }

    /// <summary>MACs per sample for <paramref name="lq"/> queries and <paramref name="lkv"/> keys (attention +
    /// MLP, the official forward_calc_flops).</summary>
    public long Macs(int lq, int lkv) => CrossAttn.Attention.Macs(lq, lkv) + Mlp.Macs(lq);

    /// <summary>Self-attention form.</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x) => Forward(x, x);

    /// <summary>xq: (B, Lq, q_in), xkv: (B, Lkv, kv_in) → (B, Lq, q_in).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public Tensor Forward(Tensor xq, Tensor xkv)
    {
        var h = xq.Add(CrossAttn.Forward(xq, xkv));
        return h.Add(Mlp.Forward(h));
    }
}
