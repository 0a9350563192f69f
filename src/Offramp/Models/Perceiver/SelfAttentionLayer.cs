// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `SelfAttentionLayer`:
// x = x + SelfAttention(x); x = x + MLP(x) (pre-norm transformer layer of the classification branch).
// Deviations: none (dropout 0, left out).
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>A pre-norm transformer layer over the latent tokens: <c>self_attn</c> and <c>mlp</c>, each residual.</summary>
public sealed class SelfAttentionLayer : Module
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException">A width is invalid.</exception>
    public SelfAttentionLayer(int numHeads, int channels, int wideningFactor, Rng rng)
    {
        SelfAttn = RegisterModule("self_attn", new SelfAttention(numHeads, channels, rng));
        Mlp = RegisterModule("mlp", new PerceiverMlp(channels, wideningFactor, rng));
    }

    /// <summary>The attention.</summary>
    public SelfAttention SelfAttn { get; }

    /// <summary>The MLP.</summary>
    public PerceiverMlp Mlp { get; }

    /// <summary>MACs per sample for <paramref name="tokens"/> tokens.</summary>
    public long Macs(int tokens) => SelfAttn.Attention.Macs(tokens, tokens) + Mlp.Macs(tokens);

    /// <summary>x: (B, L, C) → (B, L, C).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x)
    {
        var h = x.Add(SelfAttn.Forward(x));
        return h.Add(Mlp.Forward(h));
    }
}
