// Dynamic Perceiver (Han et al., ICCV 2023) §3.1, the Z2X cross-attention h_i (official cross_att{2,3,4}_z2x and
// last_cross_att_z2x): every feature position queries the latent; one head, qk = v = C/8 (C the feature width),
// output projected back to C, residual, then MLP(C, w = 1) with residual; no key bias.
// This class composes the registered layer; it is not itself a module.
// Deviations: none.
using Offramp.Engine;

namespace Offramp.Models.Perceiver;

/// <summary>The Z2X step: the feature map x (B, C, H, W) attends to the latent z (B, L, Cz); returns the new map.</summary>
/// <param name="Layer">The cross-attention layer (q = C, kv = Cz, qk = v = C/8).</param>
public sealed record Z2X(CrossAttentionLayer Layer)
{
    /// <summary>Creates the official layer for feature width <paramref name="c"/> and latent width
    /// <paramref name="cz"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="c"/> is below 8 (C/8 would be 0).</exception>
    public static CrossAttentionLayer CreateLayer(int c, int cz, Offramp.Engine.Rng rng) =>
        c >= 8
            ? new CrossAttentionLayer(1, c, cz, rng, qkChannels: c / 8, vChannels: c / 8)
            : throw new ArgumentException($"Z2X: feature width {c} gives qk = v = C/8 = 0; use a wider backbone");

    /// <summary>MACs per sample for an h×w map and <paramref name="tokens"/> latent tokens.</summary>
    public long Macs(int h, int w, int tokens) => Layer.Macs(h * w, tokens);

    /// <summary>x: (B, C, H, W), z: (B, L, Cz) → (B, C, H, W).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public Tensor Forward(Tensor x, Tensor z)
    {
        int h = x.Shape[2], w = x.Shape[3];
        return FeatureTokens.ToMap(Layer.Forward(FeatureTokens.ToTokens(x), z), h, w);
    }
}
