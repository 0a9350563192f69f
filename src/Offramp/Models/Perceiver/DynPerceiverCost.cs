// Dynamic Perceiver: the cost of each exit in the official forward_calc_flops convention
// (models/dyn_perceiver_{regnet,mobilenet_v3}.py; papers/dynamic-perceiver.md §A.5): multiply–accumulates, Linear
// L·C_in·C_out, attention q·kᵀ and attn·v as n·m·C, depth-wise 7×7 conv C·H·W·49, pooling C·H·W, token mixer
// C·L_in·L_out, expander L_in·C_in·C_out, token-mean L·C before classifier_att, global pooling C·H·W, classifiers and
// FKT Linears. LayerNorm, BatchNorm, GELU and residual adds are not counted; the CNN parts use the backbone's count.
// Deviation: the official numbers leave out the heads of earlier exits (early_classifier3, isc3 and classifier_att
// are missing from exits 3 and 4; isc4's Linear from exit 4). Offramp's costs are cumulative over everything the
// staged forward really runs, so they include them (ExitInfo.Macs).
namespace Offramp.Models.Perceiver;

/// <summary>Counts the cumulative MACs per sample of each exit of a <see cref="DynamicPerceiver"/>.</summary>
public static class DynPerceiverCost
{
    /// <summary>The segment costs (not cumulative) of exits early3, att, cnn, merge; the stem is in segment 0.</summary>
    public static long[] Segments(DynamicPerceiver m)
    {
        var bb = m.Backbone;
        var sh = bb.Shapes;
        int[] c = bb.StageInChannels;
        int[] l = m.Config.Tokens;
        int k = m.NumClasses;
        var seg = new long[4];

        // Segment 0: stem, X2Z_1 + SA_1, then stages 1-2 with the C-branch of stages 2-3, then early_classifier3.
        seg[0] = bb.StemMacs + m.X2Zs[0]!.Macs(sh[0].C, sh[0].H, sh[0].W, l[0]) + m.SelfAttentionBlocks[0].Macs(l[0]);
        for (int i = 1; i <= 2; i++)
        {
            seg[0] += Step(m, i);
        }

        seg[0] += (long)c[2] * k;

        // Segment 1: CNN stage 3, ψ_3, Z2X_4, X2Z_4, SA_4, the token-mean, isc3 and classifier_att.
        seg[1] = Step(m, 3) + (long)l[3] * c[3]
            + (m.Isc3 is null ? (long)c[3] * k : (long)k * c[3] + 2L * c[3] * k);

        // Segment 2: CNN stage 4, global pooling, the CNN head.
        var (cOut, h4, w4) = sh[4];
        seg[2] = bb.StageMacs(3) + (long)cOut * h4 * w4 + bb.CnnHeadMacs;

        // Segment 3: last Z2X and its pooling, isc4, the merge head.
        seg[3] = (m.LastZ2X is null ? 0 : m.LastZ2X.Macs(h4, w4, l[3]) + (long)cOut * h4 * w4)
            + (m.Isc4 is null ? 0 : (long)k * c[3]) + bb.MergeHeadMacs(m.MergeInFeatures, k);
        return seg;
    }

    /// <summary>The exits with cumulative MACs (<see cref="ExitInfo.Macs"/>).</summary>
    public static ExitInfo[] Count(DynamicPerceiver m)
    {
        var seg = Segments(m);
        var exits = new ExitInfo[4];
        long total = 0;
        for (int e = 0; e < 4; e++)
        {
            total += seg[e];
            exits[e] = new ExitInfo(e, DynamicPerceiver.ExitNames[e], total);
        }

        return exits;
    }

    // CNN stage i−1, then ψ, Z2X, X2Z and SA of C-branch stage i (0-based), as DynamicPerceiver.StageStep.
    private static long Step(DynamicPerceiver m, int i)
    {
        var (ci, h, w) = m.Backbone.Shapes[i];
        int tokens = m.Config.Tokens[i];
        return m.Backbone.StageMacs(i - 1) + m.TokenMixers[i - 1].Macs()
            + (m.Z2Xs[i]?.Macs(h, w, tokens) ?? 0)
            + (m.X2Zs[i]?.Macs(ci, h, w, tokens) ?? 0)
            + m.SelfAttentionBlocks[i].Macs(tokens);
    }
}
