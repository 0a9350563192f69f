namespace Offramp.Engine.Kernels.Reference;

/// <summary>Naive twin of <see cref="Movement.Permute{T}"/>: one multi-index computation per element.</summary>
internal static class MovementReference
{
    // x: shape → d: (shape[perm[0]], …); for each flat output index, unravel it, map through perm, ravel into x.
    public static void Permute<T>(ReadOnlySpan<T> x, Span<T> d, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm)
        where T : unmanaged
    {
        int rank = shape.Length;
        var xStride = Shape.Strides(shape);
        var outShape = new int[rank];
        for (int k = 0; k < rank; k++)
        {
            outShape[k] = shape[perm[k]];
        }

        for (int flat = 0; flat < d.Length; flat++)
        {
            int rem = flat, src = 0;
            for (int k = rank - 1; k >= 0; k--)
            {
                int i = rem % outShape[k];
                rem /= outShape[k];
                src += i * xStride[perm[k]];
            }

            d[flat] = x[src];
        }
    }
}
