namespace Offramp.Data;

/// <summary>
/// Derives independent seeds from a run seed and coordinates (stream, epoch, batch), so any epoch or batch can be
/// reproduced on its own, without replaying the ones before it.
/// </summary>
internal static class SeedDerivation
{
    /// <summary>Stream tag of the per-epoch shuffle.</summary>
    public const ulong ShuffleStream = 1;

    /// <summary>Stream tag of the per-batch augmentation draws.</summary>
    public const ulong AugmentStream = 2;

    /// <summary>A seed depending on every input; distinct inputs give unrelated seeds.</summary>
    public static ulong Derive(ulong seed, ulong stream, ulong epoch, ulong batch = 0)
    {
        // Each step feeds one coordinate through SplitMix64's finaliser (a bijection), chained so that
        // (stream, epoch, batch) tuples do not collide by simple arithmetic.
        ulong h = Mix(seed ^ 0x6A09E667F3BCC908UL);
        h = Mix(h ^ Mix(stream + 0x9E3779B97F4A7C15UL));
        h = Mix(h ^ Mix(epoch + 0xBB67AE8584CAA73BUL));
        h = Mix(h ^ Mix(batch + 0x3C6EF372FE94F82BUL));
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
