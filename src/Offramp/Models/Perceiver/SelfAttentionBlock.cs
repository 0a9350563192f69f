// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `SelfAttentionBlock`: a ModuleList of
// SelfAttentionLayers applied in turn (keys self_att1.0.…, self_att1.1.…).
// Deviations: no activation checkpointing.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>A stack of <see cref="SelfAttentionLayer"/>s, registered as <c>0</c>, <c>1</c>, … (a ModuleList).</summary>
public sealed class SelfAttentionBlock : ModuleList<SelfAttentionLayer>
{
    /// <summary>Creates <paramref name="numLayers"/> layers.</summary>
    /// <exception cref="ArgumentException">A width or the layer count is invalid.</exception>
    public SelfAttentionBlock(int numLayers, int numHeads, int channels, int wideningFactor, Rng rng)
    {
        if (numLayers <= 0)
        {
            throw new ArgumentException($"SelfAttentionBlock: num_layers must be positive, got {numLayers}");
        }

        for (int i = 0; i < numLayers; i++)
        {
            Add(new SelfAttentionLayer(numHeads, channels, wideningFactor, rng));
        }
    }

    /// <summary>MACs per sample for <paramref name="tokens"/> tokens (every layer).</summary>
    public long Macs(int tokens) => this.Sum(l => l.Macs(tokens));

    /// <summary>x: (B, L, C) → (B, L, C) through every layer.</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in this)
        {
            x = layer.Forward(x);
        }

        return x;
    }
}
