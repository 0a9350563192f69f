namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// Naive twin of <see cref="Kernels.Attention"/>: scalar triple loops straight from the formulas, the test
/// oracle for the kernel. Same arguments and layouts.
/// </summary>
internal static class AttentionReference
{
    // q: (Lq, D), k: (Lk, D), v: (Lk, Dv); bias at biasOffset + i·biasRowStride + j·biasColStride or empty;
    // mask: (Lq, Lk) or empty → p: (Lq, Lk), o: (Lq, Dv).
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<T> bias, int biasOffset, int biasRowStride, int biasColStride, ReadOnlySpan<T> mask,
        Span<T> p, Span<T> o, int lq, int lk, int d, int dv, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < lq; i++)
        {
            T max = T.NegativeInfinity;
            for (int j = 0; j < lk; j++)
            {
                T s = T.Zero;
                for (int t = 0; t < d; t++)
                {
                    s += q[i * d + t] * k[j * d + t];
                }

                s *= scale;
                if (!bias.IsEmpty)
                {
                    s += bias[biasOffset + i * biasRowStride + j * biasColStride];
                }

                p[i * lk + j] = s;
                max = T.Max(max, s);
            }

            T sum = T.Zero;
            for (int j = 0; j < lk; j++)
            {
                sum += T.Exp(p[i * lk + j] - max);
            }

            for (int j = 0; j < lk; j++)
            {
                p[i * lk + j] = T.Exp(p[i * lk + j] - max) / sum;
            }

            for (int t = 0; t < dv; t++)
            {
                T acc = T.Zero;
                for (int j = 0; j < lk; j++)
                {
                    acc += p[i * lk + j] * (mask.IsEmpty ? T.One : mask[i * lk + j]) * v[j * dv + t];
                }

                o[i * dv + t] = acc;
            }
        }
    }

    // See Attention.Backward: dV = Pdᵀ·dO; dP = (dO·Vᵀ) ⊙ mask; dS = P ⊙ (dP − rowsum(dP ⊙ P));
    // dQ = dS·K·scale; dK = dSᵀ·Q·scale.
    public static void Backward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> p,
        ReadOnlySpan<T> mask, ReadOnlySpan<T> dO, Span<T> dq, Span<T> dk, Span<T> dv, Span<T> ds,
        int lq, int lk, int d, int dvDim, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < lk; j++)
        {
            for (int t = 0; t < dvDim; t++)
            {
                T acc = T.Zero;
                for (int i = 0; i < lq; i++)
                {
                    acc += p[i * lk + j] * (mask.IsEmpty ? T.One : mask[i * lk + j]) * dO[i * dvDim + t];
                }

                dv[j * dvDim + t] = acc;
            }
        }

        for (int i = 0; i < lq; i++)
        {
            T row = T.Zero;
            for (int j = 0; j < lk; j++)
            {
                T dp = T.Zero;
                for (int t = 0; t < dvDim; t++)
                {
                    dp += dO[i * dvDim + t] * v[j * dvDim + t];
                }

                ds[i * lk + j] = dp * (mask.IsEmpty ? T.One : mask[i * lk + j]);
                row += ds[i * lk + j] * p[i * lk + j];
            }

            for (int j = 0; j < lk; j++)
            {
                ds[i * lk + j] = p[i * lk + j] * (ds[i * lk + j] - row);
            }
        }

        for (int i = 0; i < lq; i++)
        {
            for (int t = 0; t < d; t++)
            {
                T acc = T.Zero;
                for (int j = 0; j < lk; j++)
                {
                    acc += ds[i * lk + j] * k[j * d + t];
                }

                dq[i * d + t] = acc * scale;
            }
        }

        for (int j = 0; j < lk; j++)
        {
            for (int t = 0; t < d; t++)
            {
                T acc = T.Zero;
                for (int i = 0; i < lq; i++)
                {
                    acc += ds[i * lk + j] * q[i * d + t];
                }

                dk[j * d + t] = acc * scale;
            }
        }
    }
}
