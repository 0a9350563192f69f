// Dynamic Perceiver (Han et al., ICCV 2023), perceiver_core/modules.py `MultiHeadAttention` (from Perceiver IO,
// arXiv 2107.14795 App. E): bias-free q/k/v projections, an optional learned bias on the projected keys ("rpb"),
// softmax(q·kᵀ·(qk/heads)^-½)·v per head, then o_proj with bias.
// Deviations: no key-padding mask (the model never passes one); attention dropout is always 0 as in every official
// configuration.
using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>
/// Multi-head attention with separate query and key/value inputs: <c>q_proj</c> (q_in → qk), <c>k_proj</c>
/// (kv_in → qk), <c>v_proj</c> (kv_in → v), all without bias, and <c>o_proj</c> (v → out, with bias). With
/// <c>rpb</c>, the parameter <c>relative_position_bias</c> (1, Lkv, qk), zero-initialised, is added to the projected
/// keys — an absolute bias per key position, which the paper calls a relative position bias.
/// </summary>
public sealed class MultiHeadAttention : Module
{
    /// <summary>Creates the block; Linear layers take PyTorch's default initialisation from <paramref name="rng"/>.</summary>
    /// <param name="numHeads">Heads; must divide qk and v.</param>
    /// <param name="qInChannels">Query input width.</param>
    /// <param name="kvInChannels">Key/value input width.</param>
    /// <param name="rng">Initialisation randomness.</param>
    /// <param name="qkChannels">Query/key width (default <paramref name="qInChannels"/>).</param>
    /// <param name="vChannels">Value width (default <paramref name="qkChannels"/>).</param>
    /// <param name="outChannels">Output width (default <paramref name="qInChannels"/>).</param>
    /// <param name="rpbTokens">Number of key positions of the learned key bias, or 0 for none.</param>
    /// <exception cref="ArgumentException">A width is not positive or not divisible by the heads.</exception>
    public MultiHeadAttention(int numHeads, int qInChannels, int kvInChannels, Rng rng, int? qkChannels = null,
        int? vChannels = null, int? outChannels = null, int rpbTokens = 0)
    {
        int qk = qkChannels ?? qInChannels;
        int v = vChannels ?? qk;
        int o = outChannels ?? qInChannels;
        if (numHeads <= 0 || qInChannels <= 0 || kvInChannels <= 0 || qk <= 0 || v <= 0 || o <= 0 || rpbTokens < 0
            || qk % numHeads != 0 || v % numHeads != 0)
        {
            throw new ArgumentException(
                $"MultiHeadAttention: invalid heads={numHeads}, q_in={qInChannels}, kv_in={kvInChannels}, qk={qk}, " +
                $"v={v}, out={o}, rpb tokens={rpbTokens} (qk and v must be positive multiples of the heads)");
        }

        NumHeads = numHeads;
        QInChannels = qInChannels;
        KvInChannels = kvInChannels;
        QkChannels = qk;
        VChannels = v;
        OutChannels = o;
        if (rpbTokens > 0)
        {
            RelativePositionBias = RegisterParameter("relative_position_bias", NewTensor(1, rpbTokens, qk));
        }

        QProj = RegisterModule("q_proj", new Linear(qInChannels, qk, rng, bias: false));
        KProj = RegisterModule("k_proj", new Linear(kvInChannels, qk, rng, bias: false));
        VProj = RegisterModule("v_proj", new Linear(kvInChannels, v, rng, bias: false));
        OProj = RegisterModule("o_proj", new Linear(v, o, rng));
    }

    /// <summary>Heads H.</summary>
    public int NumHeads { get; }

    /// <summary>Query input width.</summary>
    public int QInChannels { get; }

    /// <summary>Key/value input width.</summary>
    public int KvInChannels { get; }

    /// <summary>Query/key projection width.</summary>
    public int QkChannels { get; }

    /// <summary>Value projection width.</summary>
    public int VChannels { get; }

    /// <summary>Output width.</summary>
    public int OutChannels { get; }

    /// <summary>The learned key bias (1, Lkv, qk), or null without rpb.</summary>
    public Tensor? RelativePositionBias { get; }

    /// <summary>q_in → qk, no bias.</summary>
    public Linear QProj { get; }

    /// <summary>kv_in → qk, no bias.</summary>
    public Linear KProj { get; }

    /// <summary>kv_in → v, no bias.</summary>
    public Linear VProj { get; }

    /// <summary>v → out, with bias.</summary>
    public Linear OProj { get; }

    /// <summary>
    /// MACs per sample for <paramref name="lq"/> queries and <paramref name="lkv"/> keys, in the official
    /// forward_calc_flops convention: q_in·qk·Lq + 2·kv_in·qk·Lkv (k and v, counted with the qk width) + qk·Lq·Lkv
    /// (q·kᵀ) + Lq·Lkv·v (attn·v) + v·out·Lq.
    /// </summary>
    public long Macs(int lq, int lkv) =>
        (long)QInChannels * QkChannels * lq + 2L * KvInChannels * QkChannels * lkv + (long)QkChannels * lq * lkv
        + (long)lq * lkv * VChannels + (long)VChannels * OutChannels * lq;

    /// <summary>Self-attention: x (B, L, q_in = kv_in) → (B, L, out).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit.</exception>
    public override Tensor Forward(Tensor x) => Forward(x, x);

    /// <summary>xq: (B, Lq, q_in), xkv: (B, Lkv, kv_in) → (B, Lq, out).</summary>
    /// <exception cref="ArgumentException">Shapes do not fit (the message names them).</exception>
    public Tensor Forward(Tensor xq, Tensor xkv)
    {
        if (xq.Rank != 3 || xkv.Rank != 3 || xq.Shape[2] != QInChannels || xkv.Shape[2] != KvInChannels
            || xq.Shape[0] != xkv.Shape[0]
            || (RelativePositionBias is not null && RelativePositionBias.Shape[1] != xkv.Shape[1]))
        {
            throw new ArgumentException(
                $"MultiHeadAttention(q_in={QInChannels}, kv_in={KvInChannels}" +
                (RelativePositionBias is null ? "" : $", rpb over {RelativePositionBias.Shape[1]} keys") +
                $") expects xq (B, Lq, {QInChannels}) and xkv (B, Lkv, {KvInChannels}); got {Shape.Format(xq.Shape)}, {Shape.Format(xkv.Shape)}");
        }

        int b = xq.Shape[0], lq = xq.Shape[1], lkv = xkv.Shape[1];
        int dqk = QkChannels / NumHeads, dv = VChannels / NumHeads;
        var k = KProj.Forward(xkv);
        if (RelativePositionBias is not null)
        {
            k = k.Add(RelativePositionBias);
        }

        var q = QProj.Forward(xq);
        var v = VProj.Forward(xkv);
        if (dqk == dv)
        {
            // Heads read in place from the (B, L, H·D) projections; no head-split permutes or merge copy.
            // Official scale: (qk channels per head)^-0.5, the packed kernel's default for head width dqk.
            return OProj.Forward(F.PackedAttention(q, 0, k, 0, v, 0, NumHeads, dqk));
        }

        var qh = q.Reshape(b, lq, NumHeads, dqk).Transpose(1, 2);
        var kh = k.Reshape(b, lkv, NumHeads, dqk).Transpose(1, 2);
        var vh = v.Reshape(b, lkv, NumHeads, dv).Transpose(1, 2);
        var o = F.ScaledDotProductAttention(qh, kh, vh);
        return OProj.Forward(o.Transpose(1, 2).Reshape(b, lq, VChannels));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture,
        $"heads={NumHeads}, q_in={QInChannels}, kv_in={KvInChannels}, qk={QkChannels}, v={VChannels}, out={OutChannels}, rpb={RelativePositionBias is not null}");
}
