namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// Naive twin of <see cref="Kernels.Softmax"/>: scalar loops over (O, R, I), straight from the definitions.
/// The test oracle for the vectorised kernel.
/// </summary>
internal static class SoftmaxReference
{
    // x, y: (O, R, I); y = softmax(x) or log_softmax(x) over R.
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int reduced, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * reduced * inner + i;
                if (reduced == 0)
                {
                    continue;
                }

                T max = x[b];
                for (int r = 1; r < reduced; r++)
                {
                    max = T.Max(max, x[b + r * inner]);
                }

                T sum = T.Zero;
                for (int r = 0; r < reduced; r++)
                {
                    sum += T.Exp(x[b + r * inner] - max);
                }

                for (int r = 0; r < reduced; r++)
                {
                    T z = x[b + r * inner] - max;
                    y[b + r * inner] = log ? z - T.Log(sum) : T.Exp(z) / sum;
                }
            }
        }
    }

    // y, dy, dx: (O, R, I). softmax: dx_r = y_r (dy_r − Σ_s dy_s y_s); log_softmax: dx_r = dy_r − exp(y_r) Σ_s dy_s.
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int outer, int reduced, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * reduced * inner + i;
                T s = T.Zero;
                for (int r = 0; r < reduced; r++)
                {
                    s += log ? dy[b + r * inner] : dy[b + r * inner] * y[b + r * inner];
                }

                for (int r = 0; r < reduced; r++)
                {
                    int k = b + r * inner;
                    dx[k] = log ? dy[k] - T.Exp(y[k]) * s : y[k] * (dy[k] - s);
                }
            }
        }
    }
}
