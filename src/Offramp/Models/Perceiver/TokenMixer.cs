// Dynamic Perceiver (Han et al., ICCV 2023) §3.1, the token mixer ψ_i between stages i and i+1 (official
// token_mixer.{i} and token_expander.{i}): a token down-sampler along the token axis, LayerNorm(L) →
// Linear(L → L/2) applied per channel, then a channel expander LayerNorm(C_i) → Linear(C_i → C_{i+1}) per token.
// This class composes the two registered Sequentials; it is not itself a module.
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>The token mixer: z (B, L, C) → (B, L', C').</summary>
/// <param name="Mixer"><c>token_mixer.{i}</c> = Sequential(LayerNorm(L), Linear(L, L')).</param>
/// <param name="Expander"><c>token_expander.{i}</c> = Sequential(LayerNorm(C), Linear(C, C')).</param>
public sealed record TokenMixer(Sequential Mixer, Sequential Expander)
{
    /// <summary>Builds the official pair of Sequentials.</summary>
    public static (Sequential Mixer, Sequential Expander) Create(int tokensIn, int tokensOut, int cIn, int cOut, Rng rng) =>
        (new Sequential(new LayerNorm(tokensIn), new Linear(tokensIn, tokensOut, rng)),
         new Sequential(new LayerNorm(cIn), new Linear(cIn, cOut, rng)));

    private Linear MixLinear => (Linear)Mixer[1];

    private Linear ExpandLinear => (Linear)Expander[1];

    /// <summary>
    /// MACs per sample (official forward_calc_flops): C·L·L' for the down-sampler and L·C·C' for the expander —
    /// the official count uses the token count before mixing (L), not after (L').
    /// </summary>
    public long Macs() =>
        (long)ExpandLinear.InFeatures * MixLinear.InFeatures * MixLinear.OutFeatures
        + (long)MixLinear.InFeatures * ExpandLinear.InFeatures * ExpandLinear.OutFeatures;

    /// <summary>z: (B, L, C) → (B, L', C').</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public Tensor Forward(Tensor z) => Expander.Forward(Mixer.Forward(z.Transpose(1, 2)).Transpose(1, 2));
}
