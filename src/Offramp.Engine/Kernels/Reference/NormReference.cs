namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// Naive twin of <see cref="Kernels.Norm"/>: scalar loops straight from the formulas, the test oracle for the
/// vectorised kernels. Same arguments and layouts as the twin.
/// </summary>
internal static class NormReference
{
    // x, y: (M, D); w, b: (D) or empty; mean, rstd: (M).
    public static void LayerNormForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y,
        Span<T> mean, Span<T> rstd, int rows, int d, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T n = T.CreateChecked(d);
        for (int m = 0; m < rows; m++)
        {
            T mu = T.Zero, v = T.Zero;
            for (int j = 0; j < d; j++)
            {
                mu += x[m * d + j];
            }

            mu /= n;
            for (int j = 0; j < d; j++)
            {
                v += (x[m * d + j] - mu) * (x[m * d + j] - mu);
            }

            T rs = T.One / T.Sqrt(v / n + eps);
            for (int j = 0; j < d; j++)
            {
                T h = (x[m * d + j] - mu) * rs;
                y[m * d + j] = h * (w.IsEmpty ? T.One : w[j]) + (b.IsEmpty ? T.Zero : b[j]);
            }

            mean[m] = mu;
            rstd[m] = rs;
        }
    }

    // dy, x, dx: (M, D); w: (D) or empty; mean, rstd: (M); dw, db: (D) accumulated.
    public static void LayerNormBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dw, Span<T> db, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T n = T.CreateChecked(d);
        for (int m = 0; m < rows; m++)
        {
            T sdn = T.Zero, sdnx = T.Zero;
            for (int j = 0; j < d; j++)
            {
                T h = (x[m * d + j] - mean[m]) * rstd[m];
                T dn = dy[m * d + j] * (w.IsEmpty ? T.One : w[j]);
                sdn += dn;
                sdnx += dn * h;
                dw[j] += dy[m * d + j] * h;
                db[j] += dy[m * d + j];
            }

            for (int j = 0; j < d; j++)
            {
                T h = (x[m * d + j] - mean[m]) * rstd[m];
                T dn = dy[m * d + j] * (w.IsEmpty ? T.One : w[j]);
                dx[m * d + j] = rstd[m] * (dn - sdn / n - h * sdnx / n);
            }
        }
    }

    // x, y: (N, C, S); w, b: (C) or empty; mean, var, rstd: (C). batchStats: computed; else read.
    public static void BatchNormForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y,
        Span<T> mean, Span<T> var, Span<T> rstd, int n, int c, int s, bool batchStats, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(n * s);
        for (int ch = 0; ch < c; ch++)
        {
            if (batchStats)
            {
                T mu = T.Zero, v = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    for (int k = 0; k < s; k++)
                    {
                        mu += x[(i * c + ch) * s + k];
                    }
                }

                mu /= count;
                for (int i = 0; i < n; i++)
                {
                    for (int k = 0; k < s; k++)
                    {
                        T z = x[(i * c + ch) * s + k] - mu;
                        v += z * z;
                    }
                }

                mean[ch] = mu;
                var[ch] = v / count;
            }

            rstd[ch] = T.One / T.Sqrt(var[ch] + eps);
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < s; k++)
                {
                    int at = (i * c + ch) * s + k;
                    T h = (x[at] - mean[ch]) * rstd[ch];
                    y[at] = h * (w.IsEmpty ? T.One : w[ch]) + (b.IsEmpty ? T.Zero : b[ch]);
                }
            }
        }
    }

    // dy, x, dx: (N, C, S); w: (C) or empty; mean, rstd: (C); dw, db: (C).
    public static void BatchNormBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ReadOnlySpan<T> w,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, Span<T> dx, Span<T> dw, Span<T> db, int n, int c, int s, bool batchStats)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(n * s);
        for (int ch = 0; ch < c; ch++)
        {
            T sdy = T.Zero, sdyx = T.Zero;
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < s; k++)
                {
                    int at = (i * c + ch) * s + k;
                    sdy += dy[at];
                    sdyx += dy[at] * (x[at] - mean[ch]) * rstd[ch];
                }
            }

            dw[ch] = sdyx;
            db[ch] = sdy;
            T wc = w.IsEmpty ? T.One : w[ch];
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < s; k++)
                {
                    int at = (i * c + ch) * s + k;
                    T h = (x[at] - mean[ch]) * rstd[ch];
                    dx[at] = batchStats
                        ? wc * rstd[ch] * (dy[at] - sdy / count - h * sdyx / count)
                        : wc * rstd[ch] * dy[at];
                }
            }
        }
    }
}
