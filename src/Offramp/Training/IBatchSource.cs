using Offramp.Engine;

namespace Offramp.Training;

/// <summary>One batch for training or evaluation.</summary>
/// <param name="Images">(N, C, H, W) inputs, allocated outside any <see cref="TensorMemory.Step"/> scope.</param>
/// <param name="Labels">N class indices (the unmixed labels when mixup/cutmix is on; accuracy uses them).</param>
/// <param name="SoftTargets">(N, K) target probabilities from mixup/cutmix, or null for hard labels.</param>
public sealed record TrainBatch(Tensor Images, int[] Labels, Tensor? SoftTargets = null);

/// <summary>
/// Where the trainer gets batches. The contract that makes resume exact: the batches of epoch e are a pure function
/// of (seed, e) — the order and every augmentation — so <c>GetEpoch(e, b)</c> yields exactly the batches b, b+1, …
/// that <c>GetEpoch(e)</c> yields after skipping b.
/// </summary>
public interface IBatchSource
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Batches per epoch.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>Number of classes (width of soft targets and logits).</summary>
    int NumClasses { get; }

    /// <summary>Per-sample input shape (C, H, W).</summary>
    int[] InputShape { get; }

    /// <summary>The batches of epoch <paramref name="epoch"/> from batch index <paramref name="startBatch"/> on.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch, or a start outside [0, BatchesPerEpoch].</exception>
    IEnumerable<TrainBatch> GetEpoch(int epoch, int startBatch = 0);
}
