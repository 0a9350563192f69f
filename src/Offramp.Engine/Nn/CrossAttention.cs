using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Multi-head attention with separate <c>q</c>, <c>k</c>, <c>v</c> projections and <c>proj</c>: queries from x
/// (B, N, dim), keys and values from a context (B, M, kdim/vdim) — cross-attention — or from x itself.
/// Heads are computed by <see cref="F.PackedAttention"/> straight from the (B, L, C) projections.
/// Children: q, k, v, attn_drop, proj, proj_drop.
/// </summary>
public sealed class CrossAttention : Module
{
    /// <summary>Creates the block; linear layers are initialised and dropout masks drawn from <paramref name="rng"/>.</summary>
    /// <param name="dim">Query and output width.</param>
    /// <param name="rng">Initialisation and dropout randomness.</param>
    /// <param name="numHeads">Heads (must divide <paramref name="dim"/>).</param>
    /// <param name="kdim">Width of the context feeding the keys (default: <paramref name="dim"/>).</param>
    /// <param name="vdim">Width of the context feeding the values (default: <paramref name="kdim"/>).</param>
    /// <param name="qkvBias">Biases on q, k and v.</param>
    /// <param name="attnDrop">Dropout on the attention weights.</param>
    /// <param name="projDrop">Dropout after the projection.</param>
    /// <exception cref="ArgumentException"><paramref name="dim"/> is not divisible by <paramref name="numHeads"/>.</exception>
    public CrossAttention(int dim, Rng rng, int numHeads = 8, int? kdim = null, int? vdim = null, bool qkvBias = false,
        double attnDrop = 0.0, double projDrop = 0.0)
    {
        if (numHeads <= 0 || dim <= 0 || dim % numHeads != 0)
        {
            throw new ArgumentException($"CrossAttention: dim={dim} should be divisible by num_heads={numHeads}");
        }

        Dim = dim;
        NumHeads = numHeads;
        HeadDim = dim / numHeads;
        KDim = kdim ?? dim;
        VDim = vdim ?? KDim;
        Q = RegisterModule("q", new Linear(dim, dim, rng, qkvBias));
        K = RegisterModule("k", new Linear(KDim, dim, rng, qkvBias));
        V = RegisterModule("v", new Linear(VDim, dim, rng, qkvBias));
        AttnDrop = RegisterModule("attn_drop", new Dropout(attnDrop, rng));
        Proj = RegisterModule("proj", new Linear(dim, dim, rng));
        ProjDrop = RegisterModule("proj_drop", new Dropout(projDrop, rng));
    }

    /// <summary>Query and output width C.</summary>
    public int Dim { get; }

    /// <summary>Number of heads H.</summary>
    public int NumHeads { get; }

    /// <summary>C / H.</summary>
    public int HeadDim { get; }

    /// <summary>Key context width.</summary>
    public int KDim { get; }

    /// <summary>Value context width.</summary>
    public int VDim { get; }

    /// <summary>Query projection (C → C).</summary>
    public Linear Q { get; }

    /// <summary>Key projection (kdim → C).</summary>
    public Linear K { get; }

    /// <summary>Value projection (vdim → C).</summary>
    public Linear V { get; }

    /// <summary>Dropout on the attention weights.</summary>
    public Dropout AttnDrop { get; }

    /// <summary>Output projection.</summary>
    public Linear Proj { get; }

    /// <summary>Dropout after the projection.</summary>
    public Dropout ProjDrop { get; }

    /// <summary>Self-attention: x: (B, N, C) → (B, N, C); needs kdim = vdim = dim.</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x) => Attend(x, x, x);

    /// <summary>Cross-attention: x: (B, N, C), context: (B, M, kdim = vdim) → (B, N, C).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public Tensor Forward(Tensor x, Tensor context, Tensor? attnBias = null) => Attend(x, context, context, attnBias);

    /// <summary>
    /// The general form (PyTorch's <c>forward(query, key, value)</c>): x: (B, N, C) queries, keys: (B, M, kdim),
    /// values: (B, M, vdim) → (B, N, C); <paramref name="attnBias"/> is added to the logits (broadcastable to
    /// (B, H, N, M)).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not fit; the message names them.</exception>
    public Tensor Attend(Tensor x, Tensor keys, Tensor values, Tensor? attnBias = null)
    {
        if (x.Rank != 3 || x.Shape[2] != Dim || keys.Rank != 3 || keys.Shape[2] != KDim || values.Rank != 3
            || values.Shape[2] != VDim || keys.Shape[0] != x.Shape[0] || !Shape.Equal(keys.Shape.AsSpan(0, 2), values.Shape.AsSpan(0, 2)))
        {
            throw new ArgumentException($"CrossAttention(dim={Dim}, kdim={KDim}, vdim={VDim}) expects x (B, N, {Dim}), " +
                $"keys (B, M, {KDim}), values (B, M, {VDim}); got {Shape.Format(x.Shape)}, {Shape.Format(keys.Shape)}, {Shape.Format(values.Shape)}");
        }

        var o = F.PackedAttention(Q.Forward(x), 0, K.Forward(keys), 0, V.Forward(values), 0, NumHeads, HeadDim, attnBias,
            Training ? AttnDrop.P : 0.0, AttnDrop.Rng);
        return ProjDrop.Forward(Proj.Forward(o));
    }
}
