using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// The pre-norm transformer block of <c>torch_bench.py</c> (<c>Block</c>; Dosovitskiy et al. 2021, ViT, Eq. 2–3):
/// x + attn(n1(x)), then x + mlp(n2(x)). Children <c>n1</c>, <c>attn</c> (packed <c>qkv</c> with bias, <c>proj</c>),
/// <c>n2</c>, <c>mlp</c> (<c>fc1</c> dim → ratio·dim, exact GELU, <c>fc2</c>).
/// </summary>
public sealed class Block : Module
{
    /// <summary>Creates the block; linear layers are initialised from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="dim"/> is not divisible by <paramref name="heads"/>.</exception>
    public Block(int dim, int heads, Rng rng, int mlpRatio = 4)
    {
        N1 = RegisterModule("n1", new LayerNorm(dim));
        Attn = RegisterModule("attn", new Attention(dim, rng, heads, qkvBias: true));
        N2 = RegisterModule("n2", new LayerNorm(dim));
        Mlp = RegisterModule("mlp", new Mlp(dim, rng, hiddenFeatures: dim * mlpRatio));
    }

    /// <summary>Norm before attention.</summary>
    public LayerNorm N1 { get; }

    /// <summary>Multi-head self-attention (the script's <c>Attention(dim, heads)</c>: <c>qkv</c> + <c>proj</c>).</summary>
    public Attention Attn { get; }

    /// <summary>Norm before the MLP.</summary>
    public LayerNorm N2 { get; }

    /// <summary>fc1 → GELU → fc2.</summary>
    public Mlp Mlp { get; }

    /// <summary>x: (B, T, D) → (B, T, D).</summary>
    public override Tensor Forward(Tensor x)
    {
        // x + attn(n1(x)), x + mlp(n2(x)); in inference the adds ride on proj's and fc2's GEMM tiles.
        x = Attn.Forward(N1.Forward(x), null, residual: x);
        return Mlp.Forward(N2.Forward(x), residual: x);
    }

    /// <summary>MACs per image for <paramref name="tokens"/> tokens.</summary>
    internal long Macs(int tokens) =>
        Bench.Macs.Linear(Attn.Qkv, tokens) + Bench.Macs.AttentionProducts(tokens, tokens, Attn.Dim)
        + Bench.Macs.Linear(Attn.Proj, tokens) + Bench.Macs.Linear(Mlp.Fc1, tokens) + Bench.Macs.Linear(Mlp.Fc2, tokens);
}
