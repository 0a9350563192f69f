using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// Multi-head cross-attention as <c>torch_bench.py</c>'s <c>Attention(dim, heads, ctx_dim)</c>: queries from x
/// through <c>q</c> (D → D), keys and values from a context through one packed <c>kv</c> Linear
/// (ctx_dim → 2·D, rows [k; v]), softmax(q·kᵀ/√head_dim)·v per head, then <c>proj</c> (D → D).
/// </summary>
/// <remarks>The engine's <see cref="CrossAttention"/> computes the same function but names separate <c>k</c> and
/// <c>v</c> layers; this module keeps the script's packed <c>kv</c> so state dicts match key for key.</remarks>
public sealed class PackedKvAttention : Module
{
    /// <summary>Creates the block; linear layers are initialised from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="dim"/> is not divisible by <paramref name="heads"/>.</exception>
    public PackedKvAttention(int dim, int heads, int contextDim, Rng rng)
    {
        if (heads <= 0 || dim <= 0 || dim % heads != 0)
        {
            throw new ArgumentException($"PackedKvAttention: dim={dim} should be divisible by heads={heads}");
        }

        Dim = dim;
        Heads = heads;
        HeadDim = dim / heads;
        ContextDim = contextDim;
        Q = RegisterModule("q", new Linear(dim, dim, rng));
        Kv = RegisterModule("kv", new Linear(contextDim, 2 * dim, rng));
        Proj = RegisterModule("proj", new Linear(dim, dim, rng));
    }

    /// <summary>Query and output width D.</summary>
    public int Dim { get; }

    /// <summary>Heads H.</summary>
    public int Heads { get; }

    /// <summary>D / H.</summary>
    public int HeadDim { get; }

    /// <summary>Context width.</summary>
    public int ContextDim { get; }

    /// <summary>Query projection, D → D.</summary>
    public Linear Q { get; }

    /// <summary>Packed key/value projection, context → 2·D (weight rows [k; v]).</summary>
    public Linear Kv { get; }

    /// <summary>Output projection, D → D.</summary>
    public Linear Proj { get; }

    /// <summary>Not supported: the block needs a context; use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor x) =>
        throw new NotSupportedException("PackedKvAttention needs a context: call Forward(x, context)");

    /// <summary>x: (B, T, D), context: (B, S, ctx_dim) → (B, T, D).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit; the message names them.</exception>
    public Tensor Forward(Tensor x, Tensor context)
    {
        if (x.Rank != 3 || x.Shape[2] != Dim || context.Rank != 3 || context.Shape[2] != ContextDim || context.Shape[0] != x.Shape[0])
        {
            throw new ArgumentException($"PackedKvAttention(dim={Dim}, ctx_dim={ContextDim}) expects x (B, T, {Dim}) and " +
                $"context (B, S, {ContextDim}); got {Engine.Shape.Format(x.Shape)}, {Engine.Shape.Format(context.Shape)}");
        }

        // torch_bench.py: kv(ctx).reshape(B, S, 2, h, dh) → k, v; the heads are read in place from kv's columns [k | v].
        var kv = Kv.Forward(context);
        var o = F.PackedAttention(Q.Forward(x), 0, kv, 0, kv, Dim, Heads, HeadDim);
        return Proj.Forward(o);
    }

    /// <summary>MACs per image for <paramref name="queries"/> query and <paramref name="keys"/> context tokens.</summary>
    internal long Macs(int queries, int keys) =>
        Bench.Macs.Linear(Q, queries) + Bench.Macs.Linear(Kv, keys) + Bench.Macs.AttentionProducts(queries, keys, Dim)
        + Bench.Macs.Linear(Proj, queries);
}
