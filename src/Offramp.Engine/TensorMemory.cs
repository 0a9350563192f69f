namespace Offramp.Engine;

/// <summary>
/// Where tensor storage comes from. One place, so that buffer reuse (pooling, per-step arenas) can be
/// introduced behind it without touching the ops.
/// </summary>
internal static class TensorMemory
{
    /// <summary>A zeroed float buffer of at least <paramref name="n"/> elements.</summary>
    public static float[] RentFloat(int n) => n == 0 ? [] : new float[n];
}
