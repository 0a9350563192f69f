// Dynamic Perceiver (Han et al., ICCV 2023) §3.1: the feature branch is "any CNN, split into stem + 4 stages". This
// abstraction is what DynamicPerceiver needs from such a CNN: its modules under the official names (cnn_stem,
// cnn_body_stage1..4, classifier_cnn), the forward of each part, the channel bookkeeping (C_1..C_4 = stage input
// widths, C_out = stage-4 output width), the CNN exit head, and the MACs of each part for the model's input size.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>A CNN split into stem + 4 stages + classifier, as the Dynamic Perceiver's feature branch.</summary>
public abstract class PerceiverBackbone
{
    /// <summary>The modules to register on the model, under the official names and in the official order.</summary>
    public abstract IReadOnlyList<(string Name, Module Module)> Modules { get; }

    /// <summary>Input channels of stages 1..4 (C_1 = stem output, …, C_4 = stage-3 output).</summary>
    public abstract int[] StageInChannels { get; }

    /// <summary>Output channels of stage 4 (the width the CNN and merge heads pool), C_out.</summary>
    public abstract int OutChannels { get; }

    /// <summary>(C, H, W) after the stem (index 0) and after stages 1..4 (indices 1..4) for the model's input.</summary>
    public abstract IReadOnlyList<(int C, int H, int W)> Shapes { get; }

    /// <summary>MACs per sample of the stem.</summary>
    public abstract long StemMacs { get; }

    /// <summary>MACs per sample of stage <paramref name="i"/> (0-based).</summary>
    public abstract long StageMacs(int i);

    /// <summary>MACs per sample of the CNN classifier on the pooled features (the pooling itself excluded).</summary>
    public abstract long CnnHeadMacs { get; }

    /// <summary>The stem: image (B, Cin, H, W) → X0.</summary>
    public abstract Tensor Stem(Tensor x);

    /// <summary>Stage <paramref name="i"/> (0-based): X_i → X_{i+1}.</summary>
    public abstract Tensor Stage(int i, Tensor x);

    /// <summary>
    /// The pre-classifier transform of the pooled stage-4 features (e.g. the ResNet head's dropout), applied before
    /// <see cref="CnnHead"/>. The official ResNet model reuses its output in the merge head when the last Z2X is
    /// off.
    /// </summary>
    public virtual Tensor PreHead(Tensor pooled) => pooled;

    /// <summary>The CNN exit's classifier (<c>classifier_cnn</c>): (B, C_out) → (B, K).</summary>
    public abstract Tensor CnnHead(Tensor pooled);

    /// <summary>
    /// The merge classifier (<c>classifier_merge</c>): the official BatchNorm1d → Linear(in → K); MobileNetV3
    /// overrides with its wider head.
    /// </summary>
    public virtual Module CreateMergeHead(int inFeatures, int numClasses, Rng rng) =>
        new Sequential(new BatchNorm1d(inFeatures), new Linear(inFeatures, numClasses, rng));

    /// <summary>MACs per sample of the merge classifier built by <see cref="CreateMergeHead"/> (Linear layers).</summary>
    public virtual long MergeHeadMacs(int inFeatures, int numClasses) => (long)inFeatures * numClasses;

    /// <summary>MACs per sample of a conv on an h×w input: O·OH·OW·(C/groups)·KH·KW.</summary>
    public static long ConvMacs(Conv2d conv, int h, int w)
    {
        var (oh, ow) = conv.OutputSize(h, w);
        return (long)conv.OutChannels * oh * ow * (conv.InChannels / conv.Groups) * conv.KernelSize.H * conv.KernelSize.W;
    }
}
