using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// A transform of a batch of images: float32 (N, C, H, W) in, float32 (N, C, H', W') out. Random transforms draw
/// every choice from the given <see cref="Rng"/>, sample by sample in batch order, so a batch and a seed decide
/// the result.
/// </summary>
/// <remarks>Implementations are immutable and may be shared between threads; the rng is not.</remarks>
public interface IBatchTransform
{
    /// <summary>Applies the transform.</summary>
    /// <param name="batch">Float32 images, (N, C, H, W). May be modified in place.</param>
    /// <param name="rng">Source of every random choice.</param>
    /// <returns>The transformed batch: <paramref name="batch"/> itself when done in place, else a new tensor.</returns>
    /// <exception cref="ArgumentException">The batch is not a float32 rank-4 tensor the transform accepts.</exception>
    Tensor Apply(Tensor batch, Rng rng);
}
