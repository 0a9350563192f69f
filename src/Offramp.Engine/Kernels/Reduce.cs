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

    // x: (O, R, I) → d: (O, I); d[o, i] = max_r x[o, r, i]; NaN propagates. R ≥ 1.
    public static void MaxAxis<T>(ReadOnlySpan<T> x, Span<T> d, int outer, int reduced, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(reduced >= 1);
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * reduced * inner, reduced * inner);
            if (inner == 1)
            {
                d[o] = TensorPrimitives.Max(xo);
                continue;
            }

            var dd = d.Slice(o * inner, inner);
            xo[..inner].CopyTo(dd);
            for (int r = 1; r < reduced; r++)
            {
                TensorPrimitives.Max(dd, xo.Slice(r * inner, inner), dd);
            }
        }
    }

    // x: (O, R, I) → values: (O, I), indices: (O, I); the extreme along r and the first r holding it (ties keep
    // the earliest); a NaN beats every number and the first NaN wins, as torch.max/min(dim). R ≥ 1.
    public static void ArgExtremeAxis<T, TCmp>(
        ReadOnlySpan<T> x, Span<T> values, Span<int> indices, int outer, int reduced, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TCmp : IExtremum
    {
        Debug.Assert(reduced >= 1);
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * reduced * inner, reduced * inner);
            var vals = values.Slice(o * inner, inner);
            var idx = indices.Slice(o * inner, inner);
            xo[..inner].CopyTo(vals);
            idx.Clear();
            for (int r = 1; r < reduced; r++)
            {
                var row = xo.Slice(r * inner, inner);
                for (int i = 0; i < inner; i++)
                {
                    if (TCmp.Beats(row[i], vals[i]))
                    {
                        vals[i] = row[i];
                        idx[i] = r;
                    }
                }
            }
        }
    }

    // g: (O, I), indices: (O, I) → dx: (O, R, I); dx[o, indices[o, i], i] = g[o, i], zero elsewhere (overwritten).
    public static void ScatterAxis<T>(ReadOnlySpan<T> g, ReadOnlySpan<int> indices, Span<T> dx, int outer, int reduced, int inner)
        where T : unmanaged
    {
        dx.Clear();
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int k = o * inner + i;
                dx[(o * reduced + indices[k]) * inner + i] = g[k];
            }
        }
    }

    // x: (N) in place; ±∞ → 0 (the shift of a stable log-sum-exp must be finite; PyTorch masks the same way).
    public static void ZeroInfinities<T>(Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (T.IsInfinity(x[i]))
            {
                x[i] = T.Zero;
            }
        }
    }
}

/// <summary>Which of two values a max- or min-reduction keeps.</summary>
internal interface IExtremum
{
    /// <summary>True when <paramref name="v"/> replaces <paramref name="best"/>: strictly better, or the first NaN.</summary>
    static abstract bool Beats<T>(T v, T best)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct MaxExtremum : IExtremum
{
    public static bool Beats<T>(T v, T best)
        where T : unmanaged, IFloatingPointIeee754<T> => v > best || (T.IsNaN(v) && !T.IsNaN(best));
}

internal readonly struct MinExtremum : IExtremum
{
    public static bool Beats<T>(T v, T best)
        where T : unmanaged, IFloatingPointIeee754<T> => v < best || (T.IsNaN(v) && !T.IsNaN(best));
}
