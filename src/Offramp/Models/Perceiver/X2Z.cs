// Dynamic Perceiver (Han et al., ICCV 2023) §3.1, the X2Z cross-attention g_i of the official forward: the latent
// queries the feature map through x_kv = AdaptiveAvgPool2d(7,7)(X + DWConv7x7(X)), flattened to 49 tokens, with the
// learned key bias (rpb) over those 49 positions, one head, qk = v = C_i, MLP widening 1.
// The official code registers the parts flat on the model (dwc{i}_x2z, ca_pooling, cross_att{i}_x2z); this class
// composes those registered modules and is not itself a module.
// Deviations: with spatial_reduction off, the keys are all H·W positions and the rpb covers H·W of the actual map
// (the official ResNet file would fail there: ca_pooling is undefined; the RegNet/MobileNet files size the rpb from
// the input size, which equals H·W for their strides).
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>The X2Z step: latent z (B, L, C) attends to the feature map x (B, C, H, W); returns the new latent.</summary>
/// <param name="Dwc">The residual 7×7 depth-wise conv (<c>dwc{i}_x2z</c>), or null without <c>with_dwc</c>.</param>
/// <param name="Pool">The 7×7 adaptive average pool (<c>ca_pooling</c>), or null without spatial reduction.</param>
/// <param name="Layer">The cross-attention layer (<c>cross_att{i}_x2z</c>).</param>
public sealed record X2Z(Conv2d? Dwc, AdaptiveAvgPool2d? Pool, CrossAttentionLayer Layer)
{
    /// <summary>Number of key tokens for an h×w feature map.</summary>
    public int KeyTokens(int h, int w) => Pool is null ? h * w : Pool.OutputSize.H * Pool.OutputSize.W;

    /// <summary>
    /// MACs per sample (official forward_calc_flops): C·H·W·49 for the depth-wise conv, C·H·W for the pooling, and
    /// the cross-attention layer for <paramref name="tokens"/> latent queries.
    /// </summary>
    public long Macs(int c, int h, int w, int tokens) =>
        (Dwc is null ? 0 : (long)c * h * w * 49) + (Pool is null ? 0 : (long)c * h * w)
        + Layer.Macs(tokens, KeyTokens(h, w));

    /// <summary>z: (B, L, C), x: (B, C, H, W) → (B, L, C).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public Tensor Forward(Tensor z, Tensor x)
    {
        var kv = Dwc is null ? x : x.Add(Dwc.Forward(x));

        // A map already at the pool's size pools to itself (each bin one position: the same values, bit for bit), so
        // the pass is skipped; the cost still counts it, as forward_calc_flops does.
        if (Pool is not null && (kv.Shape[^2], kv.Shape[^1]) != Pool.OutputSize)
        {
            kv = Pool.Forward(kv);
        }

        return Layer.Forward(z, FeatureTokens.ToTokens(kv));
    }
}

/// <summary>Feature map ↔ token sequence ("b c h w ↔ b (h w) c").</summary>
public static class FeatureTokens
{
    /// <summary>x: (B, C, H, W) → (B, H·W, C).</summary>
    public static Tensor ToTokens(Tensor x) =>
        x.Reshape(x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]).Transpose(1, 2);

    /// <summary>t: (B, H·W, C) → (B, C, H, W).</summary>
    public static Tensor ToMap(Tensor t, int h, int w) => t.Transpose(1, 2).Reshape(t.Shape[0], t.Shape[2], h, w);
}
