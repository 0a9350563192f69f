namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// Naive twins of <see cref="Elementwise"/>: one scalar <see cref="IUnaryOp.Reference{T}(T)"/> call per element.
/// They are the float64 path of every element-wise op, the float32 path of ops without a fast form, and the
/// oracle the fast float32 forms are tested against.
/// </summary>
internal static class ElementwiseReference
{
    // x: (N) → d: (N); d[i] = op(x[i]).
    public static void Map<T, TOp>(ReadOnlySpan<T> x, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOp
    {
        Debug.Assert(x.Length == d.Length);
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = op.Reference(x[i]);
        }
    }

    // a: (N), b: (N) → d: (N); d[i] = op(a[i], b[i]).
    public static void Map<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IMapOp
    {
        Debug.Assert(a.Length == d.Length && b.Length == d.Length);
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = op.Reference(a[i], b[i]);
        }
    }
}
