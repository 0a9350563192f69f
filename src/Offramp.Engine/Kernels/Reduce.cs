namespace Offramp.Engine.Kernels;

/// <summary>Axis reductions over a contiguous tensor viewed as (outer, reduced, inner).</summary>
internal static class Reduce
{
    // x: (O, R, I) → d: (O, I); d[o, i] = Σ_r x[o, r, i], summed in r order (deterministic).
    public static void SumAxis<T>(ReadOnlySpan<T> x, Span<T> d, int outer, int reduced, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                d[o] = TensorPrimitives.Sum(x.Slice(o * reduced, reduced));
            }

            return;
        }

        for (int o = 0; o < outer; o++)
        {
            var dd = d.Slice(o * inner, inner);
            var xo = x.Slice(o * reduced * inner, reduced * inner);
            if (reduced == 0)
            {
                dd.Clear();
                continue;
            }

            xo[..inner].CopyTo(dd);
            for (int r = 1; r < reduced; r++)
            {
                TensorPrimitives.Add(dd, xo.Slice(r * inner, inner), dd);
            }
        }
    }

    /// <summary>Splits <paramref name="shape"/> around <paramref name="axis"/> into (outer, reduced, inner).</summary>
    public static (int Outer, int Reduced, int Inner) Split(int[] shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
        {
            outer *= shape[i];
        }

        for (int i = axis + 1; i < shape.Length; i++)
        {
            inner *= shape[i];
        }

        return (outer, shape[axis], inner);
    }
}
