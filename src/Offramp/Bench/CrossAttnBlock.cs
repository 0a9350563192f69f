using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// Latents ← features cross-attention of <c>torch_bench.py</c> (<c>CrossAttnBlock</c>; pre-norm, residual):
/// z + attn(nq(z), nkv(features)). Children <c>nq</c>, <c>nkv</c>, <c>attn</c> (<see cref="PackedKvAttention"/>).
/// </summary>
public sealed class CrossAttnBlock : Module
{
    /// <summary>Creates the block; linear layers are initialised from <paramref name="rng"/>.</summary>
    public CrossAttnBlock(int dim, int contextDim, int heads, Rng rng)
    {
        Nq = RegisterModule("nq", new LayerNorm(dim));
        Nkv = RegisterModule("nkv", new LayerNorm(contextDim));
        Attn = RegisterModule("attn", new PackedKvAttention(dim, heads, contextDim, rng));
    }

    /// <summary>Norm of the latents (queries).</summary>
    public LayerNorm Nq { get; }

    /// <summary>Norm of the features (keys and values).</summary>
    public LayerNorm Nkv { get; }

    /// <summary>The attention.</summary>
    public PackedKvAttention Attn { get; }

    /// <summary>Not supported: the block needs features; use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor x) =>
        throw new NotSupportedException("CrossAttnBlock needs features: call Forward(latents, features)");

    /// <summary>z: (B, T, D), features: (B, S, ctx_dim) → (B, T, D).</summary>
    public Tensor Forward(Tensor z, Tensor features) => z.Add(Attn.Forward(Nq.Forward(z), Nkv.Forward(features)));
}
