using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Multi-head self-attention as timm's ViT (<c>timm.models.vision_transformer.Attention</c>): one packed
/// <c>qkv</c> Linear (dim → 3·dim), optional per-head <c>q_norm</c>/<c>k_norm</c> (LayerNorm over head_dim),
/// softmax(q·kᵀ/√head_dim)·v per head via <see cref="F.PackedAttention"/> (heads read in place from qkv; with
/// qk_norm, <see cref="F.ScaledDotProductAttention"/> on permuted copies), then <c>proj</c>
/// (dim → dim). Children: qkv, q_norm, k_norm, attn_drop, proj, proj_drop.
/// </summary>
public sealed class Attention : Module
{
    /// <summary>Creates the block; linear layers are initialised and dropout masks drawn from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="dim"/> is not divisible by <paramref name="numHeads"/>.</exception>
    public Attention(int dim, Rng rng, int numHeads = 8, bool qkvBias = false, bool qkNorm = false, bool projBias = true,
        double attnDrop = 0.0, double projDrop = 0.0)
    {
        if (numHeads <= 0 || dim <= 0 || dim % numHeads != 0)
        {
            throw new ArgumentException($"Attention: dim={dim} should be divisible by num_heads={numHeads}");
        }

        Dim = dim;
        NumHeads = numHeads;
        HeadDim = dim / numHeads;
        Qkv = RegisterModule("qkv", new Linear(dim, 3 * dim, rng, qkvBias));
        QNorm = RegisterModule<Module>("q_norm", qkNorm ? new LayerNorm(HeadDim) : new Identity());
        KNorm = RegisterModule<Module>("k_norm", qkNorm ? new LayerNorm(HeadDim) : new Identity());
        AttnDrop = RegisterModule("attn_drop", new Dropout(attnDrop, rng));
        Proj = RegisterModule("proj", new Linear(dim, dim, rng, projBias));
        ProjDrop = RegisterModule("proj_drop", new Dropout(projDrop, rng));
    }

    /// <summary>Token width C.</summary>
    public int Dim { get; }

    /// <summary>Number of heads H.</summary>
    public int NumHeads { get; }

    /// <summary>C / H.</summary>
    public int HeadDim { get; }

    /// <summary>Packed projection, weight (3C, C): rows [q; k; v].</summary>
    public Linear Qkv { get; }

    /// <summary>Per-head query norm (Identity unless qk_norm).</summary>
    public Module QNorm { get; }

    /// <summary>Per-head key norm (Identity unless qk_norm).</summary>
    public Module KNorm { get; }

    /// <summary>Dropout on the attention weights (its <see cref="Dropout.P"/> is passed to the attention op).</summary>
    public Dropout AttnDrop { get; }

    /// <summary>Output projection.</summary>
    public Linear Proj { get; }

    /// <summary>Dropout after the projection.</summary>
    public Dropout ProjDrop { get; }

    /// <summary>x: (B, N, C) → (B, N, C).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (B, N, C).</exception>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// x: (B, N, C) → (B, N, C), with <paramref name="attnBias"/> added to the attention logits (broadcastable to
    /// (B, H, N, N); −∞ masks a key), or null.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (B, N, C).</exception>
    public Tensor Forward(Tensor x, Tensor? attnBias) => Forward(x, attnBias, null);

    /// <summary>
    /// As <see cref="Forward(Tensor, Tensor?)"/>, plus <paramref name="residual"/> (B, N, C) when given: residual +
    /// attention(x). In inference (no recorded graph, no active projection dropout) the residual is added to proj's GEMM
    /// tiles as they are written (<see cref="F.LinearEpilogue"/>), bit-identical to the separate add.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (B, N, C), or the residual not its shape.</exception>
    public Tensor Forward(Tensor x, Tensor? attnBias, Tensor? residual)
    {
        if (x.Rank != 3 || x.Shape[2] != Dim)
        {
            throw new ArgumentException($"Attention(dim={Dim}) expects (B, N, {Dim}), got input {Shape.Format(x.Shape)}");
        }

        int b = x.Shape[0], n = x.Shape[1];
        double attnP = Training ? AttnDrop.P : 0.0;
        var qkv = Qkv.Forward(x);
        Tensor o;
        if (QNorm is Identity && KNorm is Identity)
        {
            // The heads are read in place from qkv (B, N, 3·C): columns [q | k | v], each H × head_dim.
            o = F.PackedAttention(qkv, 0, qkv, Dim, qkv, 2 * Dim, NumHeads, HeadDim, attnBias, attnP, AttnDrop.Rng);
        }
        else
        {
            // timm: qkv(x).reshape(B, N, 3, H, D).permute(2, 0, 3, 1, 4).unbind(0)
            var heads = qkv.Reshape(b, n, 3, NumHeads, HeadDim).Permute(2, 0, 3, 1, 4);
            var q = QNorm.Forward(heads.Narrow(0, 0, 1).Reshape(b, NumHeads, n, HeadDim));
            var k = KNorm.Forward(heads.Narrow(0, 1, 1).Reshape(b, NumHeads, n, HeadDim));
            var v = heads.Narrow(0, 2, 1).Reshape(b, NumHeads, n, HeadDim);
            o = F.ScaledDotProductAttention(q, k, v, attnBias, attnP, AttnDrop.Rng).Transpose(1, 2).Reshape(b, n, Dim);
        }

        if ((!Training || ProjDrop.P == 0) && !Autograd.ShouldRecord(o, Proj.Weight))
        {
            return F.LinearEpilogue(o, Proj.Weight, Proj.Bias, residual);
        }

        var y = ProjDrop.Forward(Proj.Forward(o));
        return residual is null ? y : residual.Add(y);
    }
}
