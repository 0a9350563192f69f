// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `MLP`: LayerNorm → Linear(C, w·C) → GELU →
// Linear(w·C, C). The LayerNorm sits inside the MLP (pre-norm), the residual is added by the caller.
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>
/// The Perceiver MLP (<c>layernorm</c>, <c>fc1</c>, <c>gelu</c>, <c>fc2</c>): x (B, L, C) → (B, L, C), hidden width
/// w·C. Cross-attention layers use w = 1, self-attention layers the model's <c>SA_widening_factor</c>.
/// </summary>
public sealed class PerceiverMlp : Module
{
    /// <summary>Creates the block; Linear layers take PyTorch's default initialisation from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentException">A width is not positive.</exception>
    public PerceiverMlp(int channels, int wideningFactor, Rng rng)
    {
        if (channels <= 0 || wideningFactor <= 0)
        {
            throw new ArgumentException($"PerceiverMlp: invalid channels={channels}, widening_factor={wideningFactor}");
        }

        Channels = channels;
        WideningFactor = wideningFactor;
        LayerNorm = RegisterModule("layernorm", new LayerNorm(channels));
        Fc1 = RegisterModule("fc1", new Linear(channels, wideningFactor * channels, rng));
        RegisterModule("gelu", new GELU());
        Fc2 = RegisterModule("fc2", new Linear(wideningFactor * channels, channels, rng));
    }

    /// <summary>Token width C.</summary>
    public int Channels { get; }

    /// <summary>Hidden width factor w.</summary>
    public int WideningFactor { get; }

    /// <summary>The pre-norm.</summary>
    public LayerNorm LayerNorm { get; }

    /// <summary>C → w·C.</summary>
    public Linear Fc1 { get; }

    /// <summary>w·C → C.</summary>
    public Linear Fc2 { get; }

    /// <summary>MACs per sample for <paramref name="tokens"/> tokens (official forward_calc_flops: the two Linears,
    /// L·C·wC each; norm and GELU not counted).</summary>
    public long Macs(int tokens) => 2L * tokens * Channels * WideningFactor * Channels;

    /// <summary>x: (B, L, C) → (B, L, C) (no residual).</summary>
    /// <exception cref="ArgumentException">The last dimension is not C.</exception>
    public override Tensor Forward(Tensor x) => Fc2.Forward(Fc1.Forward(LayerNorm.Forward(x)).Gelu());
}
