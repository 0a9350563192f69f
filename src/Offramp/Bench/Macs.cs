using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// Multiply-accumulate counts per image, as <c>torch_bench.py</c>'s forward hooks count them (its
/// <c>_conv_hook</c>, <c>_linear_hook</c> and the <c>MacCounter.add</c> in its <c>Attention</c>).
/// </summary>
internal static class Macs
{
    /// <summary>A convolution on an (h, w) input: O·OH·OW·(C/groups)·KH·KW; (h, w) become the output size.</summary>
    public static long Conv(Conv2d conv, ref int h, ref int w)
    {
        (h, w) = conv.OutputSize(h, w);
        return (long)conv.OutChannels * h * w * (conv.InChannels / conv.Groups) * conv.KernelSize.H * conv.KernelSize.W;
    }

    /// <summary>A linear layer applied to <paramref name="rows"/> vectors: rows·in·out.</summary>
    public static long Linear(Linear fc, long rows) => rows * fc.InFeatures * fc.OutFeatures;

    /// <summary>Q·Kᵀ and A·V for <paramref name="queries"/> × <paramref name="keys"/> tokens of width
    /// <paramref name="dim"/> = heads·head_dim: 2·T·S·dim.</summary>
    public static long AttentionProducts(long queries, long keys, int dim) => 2 * queries * keys * dim;
}
