namespace Offramp.Engine.Kernels;

/// <summary>
/// Softmax and log-softmax along the middle axis of a contiguous (O, R, I) block, forward and backward. Rows
/// (I = 1) run one <see cref="TensorPrimitives"/> call per step over the row; columns (I &gt; 1) run the same steps
/// vectorised across the I columns, a row of the block at a time. Naive twin: <c>Reference.SoftmaxReference</c>.
/// </summary>
internal static class Softmax
{
    // x, y: (O, R, I); y = softmax(x) (or log_softmax) over R. scratch: ≥ 2·I when I > 1 (unused when I = 1).
    // x and y must not overlap.
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int reduced, int inner, bool log, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = reduced * inner;
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * block, block);
            var yo = y.Slice(o * block, block);
            if (inner == 1)
            {
                Row(xo, yo, log);
            }
            else
            {
                Columns(xo, yo, reduced, inner, log, scratch);
            }
        }
    }

    // x, y: (R); y = softmax(x) or log_softmax(x), max-subtracted. Softmax (not log) may run in place (x == y).
    public static void Row<T>(ReadOnlySpan<T> x, Span<T> y, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0)
        {
            return;
        }

        T max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        T sum = TensorPrimitives.Sum<T>(y);
        if (log)
        {
            TensorPrimitives.Subtract(x, max + T.Log(sum), y); // log p = x − (max + log Σ exp(x − max))
        }
        else
        {
            TensorPrimitives.Divide(y, sum, y);
        }
    }

    // x, y: (R, I); softmax over R for each of the I columns. scratch: ≥ 2·I (column max, column sum).
    private static void Columns<T>(ReadOnlySpan<T> x, Span<T> y, int reduced, int inner, bool log, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduced == 0)
        {
            return;
        }

        var max = scratch[..inner];
        var sum = scratch.Slice(inner, inner);
        x[..inner].CopyTo(max);
        for (int r = 1; r < reduced; r++)
        {
            TensorPrimitives.Max(max, x.Slice(r * inner, inner), max);
        }

        sum.Clear();
        for (int r = 0; r < reduced; r++)
        {
            var yr = y.Slice(r * inner, inner);
            TensorPrimitives.Subtract(x.Slice(r * inner, inner), max, yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Add(sum, yr, sum);
        }

        if (log)
        {
            TensorPrimitives.Log(sum, sum);
            TensorPrimitives.Add(max, sum, max); // max now holds the column log-sum-exp
            for (int r = 0; r < reduced; r++)
            {
                TensorPrimitives.Subtract(x.Slice(r * inner, inner), max, y.Slice(r * inner, inner));
            }
        }
        else
        {
            for (int r = 0; r < reduced; r++)
            {
                var yr = y.Slice(r * inner, inner);
                TensorPrimitives.Divide(yr, sum, yr);
            }
        }
    }

    // y, dy, dx: (O, R, I), y the forward output. scratch: ≥ I when I > 1.
    // softmax:     dx = y ⊙ (dy − Σ_R dy ⊙ y)
    // log_softmax: dx = dy − exp(y) ⊙ Σ_R dy
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int outer, int reduced, int inner, bool log, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = reduced * inner;
        for (int o = 0; o < outer; o++)
        {
            var yo = y.Slice(o * block, block);
            var go = dy.Slice(o * block, block);
            var dxo = dx.Slice(o * block, block);
            if (inner == 1)
            {
                RowBackward(yo, go, dxo, log);
                continue;
            }

            var acc = scratch[..inner];
            acc.Clear();
            for (int r = 0; r < reduced; r++)
            {
                var gr = go.Slice(r * inner, inner);
                if (log)
                {
                    TensorPrimitives.Add(acc, gr, acc);
                }
                else
                {
                    TensorPrimitives.MultiplyAdd(gr, yo.Slice(r * inner, inner), acc, acc);
                }
            }

            for (int r = 0; r < reduced; r++)
            {
                var yr = yo.Slice(r * inner, inner);
                var gr = go.Slice(r * inner, inner);
                var dr = dxo.Slice(r * inner, inner);
                if (log)
                {
                    TensorPrimitives.Exp(yr, dr);
                    TensorPrimitives.Multiply(dr, acc, dr);
                    TensorPrimitives.Subtract(gr, dr, dr);
                }
                else
                {
                    TensorPrimitives.Subtract(gr, acc, dr);
                    TensorPrimitives.Multiply(dr, yr, dr);
                }
            }
        }
    }

    // y, dy, dx: (R); the row form of Backward.
    public static void RowBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (log)
        {
            T s = TensorPrimitives.Sum(dy);
            TensorPrimitives.Exp(y, dx);
            TensorPrimitives.MultiplyAdd(dx, -s, dy, dx); // dy − exp(y)·Σdy
        }
        else
        {
            T s = TensorPrimitives.Dot(dy, y);
            TensorPrimitives.Subtract(dy, s, dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }
}
