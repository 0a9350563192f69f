using Offramp.Engine;

namespace Offramp.Data;

/// <summary>What <see cref="Mixup.Apply"/> did to a batch.</summary>
/// <param name="Images">The mixed images (the input batch, modified in place), (N, C, H, W).</param>
/// <param name="Targets">Soft targets, (N, K): each row sums to 1.</param>
/// <param name="Lambda">Weight of each sample's own image and label (1 when the batch was not mixed; for CutMix the
/// area-corrected value when lambda correction is on).</param>
/// <param name="UsedCutMix">True when CutMix (box pasting) was applied rather than Mixup (blending).</param>
public sealed record MixupResult(Tensor Images, Tensor Targets, double Lambda, bool UsedCutMix);
