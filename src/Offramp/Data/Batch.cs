using Offramp.Engine;

namespace Offramp.Data;

/// <summary>One batch from a <see cref="DataLoader"/>.</summary>
public sealed class Batch
{
    internal Batch(
        int epoch, int index, int[] sampleIndices, Tensor images, int[] labels, Tensor? softTargets, double lambda)
    {
        Epoch = epoch;
        Index = index;
        SampleIndices = sampleIndices;
        Images = images;
        Labels = labels;
        SoftTargets = softTargets;
        MixLambda = lambda;
    }

    /// <summary>Epoch the batch belongs to.</summary>
    public int Epoch { get; }

    /// <summary>Position of the batch in its epoch, from 0.</summary>
    public int Index { get; }

    /// <summary>Number of samples B (the batch size, or fewer for the last batch without drop-last).</summary>
    public int Size => Labels.Length;

    /// <summary>Indices into the loader's data set of the B samples, in batch order.</summary>
    public int[] SampleIndices { get; }

    /// <summary>Float32 images (B, C, H, W): pixels scaled to [0, 1], then the loader's transforms applied.</summary>
    public Tensor Images { get; }

    /// <summary>The B hard labels (before any mixing).</summary>
    public int[] Labels { get; }

    /// <summary>Soft targets (B, K) when the loader applies <see cref="Mixup"/>, else null.</summary>
    public Tensor? SoftTargets { get; }

    /// <summary>Mixup/CutMix λ of the batch (1 when not mixed).</summary>
    public double MixLambda { get; }
}
