namespace Offramp.Engine.Kernels;

/// <summary>Copies that rearrange contiguous row-major data: permute, strided slices, index select, concatenation.</summary>
internal static class Movement
{
    private const int Tile = 16;

    // x: shape (row-major) → d: (shape[perm[0]], …, shape[perm[r−1]]);
    // d[i₀, …, i_{r−1}] = x[j] with j[perm[k]] = i_k.
    // The output dims are first simplified: size-1 dims dropped, and neighbours merged when the input also walks
    // them as one run (stride[k] = stride[k+1]·size[k+1]). Then, by the input stride of the innermost output dim:
    //   1      → copy contiguous runs;
    //   else, when the input's stride-1 dim is the second-innermost output dim → batched 2-D transpose in
    //            Tile×Tile blocks (both sides stay in cache);
    //   else   → strided gather along the innermost dim.
    public static void Permute<T>(ReadOnlySpan<T> x, Span<T> d, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm)
        where T : unmanaged
    {
        Debug.Assert(x.Length == d.Length && shape.Length == perm.Length);
        if (d.Length == 0)
        {
            return;
        }

        int rank = shape.Length;
        Span<int> xStride = stackalloc int[Math.Max(rank, 1)];
        for (int i = rank - 1, acc = 1; i >= 0; i--)
        {
            xStride[i] = acc;
            acc *= shape[i];
        }

        Span<int> size = stackalloc int[Math.Max(rank, 1)];
        Span<int> stride = stackalloc int[Math.Max(rank, 1)];
        int m = 0;
        for (int k = 0; k < rank; k++)
        {
            int n = shape[perm[k]], s = xStride[perm[k]];
            if (n == 1)
            {
                continue;
            }

            if (m > 0 && stride[m - 1] == s * n)
            {
                size[m - 1] *= n;
                stride[m - 1] = s;
            }
            else
            {
                size[m] = n;
                stride[m] = s;
                m++;
            }
        }

        if (m == 0 || (m == 1 && stride[0] == 1))
        {
            x.CopyTo(d);
            return;
        }

        int mode = stride[m - 1] == 1 ? 0 : m >= 2 && stride[m - 2] == 1 ? 1 : 2;
        int outerRank = mode == 1 ? m - 2 : m - 1;
        int block = mode == 1 ? size[m - 2] * size[m - 1] : size[m - 1];
        int outerCount = d.Length / block;
        Span<int> idx = stackalloc int[Math.Max(outerRank, 1)];
        idx.Clear();
        int xo = 0;
        for (int o = 0, dOff = 0; o < outerCount; o++, dOff += block)
        {
            var db = d.Slice(dOff, block);
            if (mode == 0)
            {
                x.Slice(xo, block).CopyTo(db);
            }
            else if (mode == 1)
            {
                TransposeBlock(x[xo..], db, size[m - 2], size[m - 1], stride[m - 1]);
            }
            else
            {
                int s = stride[m - 1];
                for (int i = 0; i < block; i++)
                {
                    db[i] = x[xo + i * s];
                }
            }

            for (int i = outerRank - 1; i >= 0; i--)
            {
                if (++idx[i] < size[i])
                {
                    xo += stride[i];
                    break;
                }

                xo -= stride[i] * (size[i] - 1);
                idx[i] = 0;
            }
        }
    }

    // x: (C rows of stride sc, R contiguous) → d: (R, C); d[r, c] = x[c·sc + r], walked in Tile×Tile blocks.
    private static void TransposeBlock<T>(ReadOnlySpan<T> x, Span<T> d, int rows, int cols, int sc)
        where T : unmanaged
    {
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int r1 = Math.Min(r0 + Tile, rows);
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int c1 = Math.Min(c0 + Tile, cols);
                for (int r = r0; r < r1; r++)
                {
                    var dr = d.Slice(r * cols, cols);
                    for (int c = c0; c < c1; c++)
                    {
                        dr[c] = x[c * sc + r];
                    }
                }
            }
        }
    }

    // x: (O, S, I) → d: (O, L, I); d[o, l, i] = x[o, start + l·step, i].
    public static void SliceAxis<T>(
        ReadOnlySpan<T> x, Span<T> d, int outer, int size, int inner, int start, int step, int len)
        where T : unmanaged
    {
        Debug.Assert(len == 0 || (start >= 0 && start + (len - 1) * step < size));
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * size * inner, size * inner);
            var dd = d.Slice(o * len * inner, len * inner);
            if (step == 1)
            {
                xo.Slice(start * inner, len * inner).CopyTo(dd);
                continue;
            }

            for (int l = 0; l < len; l++)
            {
                xo.Slice((start + l * step) * inner, inner).CopyTo(dd.Slice(l * inner, inner));
            }
        }
    }

    // g: (O, L, I) → dx: (O, S, I); dx[o, start + l·step, i] = g[o, l, i], zero elsewhere (dx is overwritten).
    public static void SliceAxisBackward<T>(
        ReadOnlySpan<T> g, Span<T> dx, int outer, int size, int inner, int start, int step, int len)
        where T : unmanaged
    {
        dx.Clear();
        for (int o = 0; o < outer; o++)
        {
            var dxo = dx.Slice(o * size * inner, size * inner);
            var go = g.Slice(o * len * inner, len * inner);
            for (int l = 0; l < len; l++)
            {
                go.Slice(l * inner, inner).CopyTo(dxo.Slice((start + l * step) * inner, inner));
            }
        }
    }

    // x: (O, S, I), index: (K) with 0 ≤ index[k] < S → d: (O, K, I); d[o, k, i] = x[o, index[k], i].
    public static void IndexSelect<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> index, Span<T> d, int outer, int size, int inner)
        where T : unmanaged
    {
        int k = index.Length;
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * size * inner, size * inner);
            var dd = d.Slice(o * k * inner, k * inner);
            for (int j = 0; j < k; j++)
            {
                xo.Slice(index[j] * inner, inner).CopyTo(dd.Slice(j * inner, inner));
            }
        }
    }

    // g: (O, K, I), index: (K) → dx: (O, S, I); dx[o, s, i] = Σ_{k : index[k] = s} g[o, k, i], summed in k order
    // (repeated indices accumulate, deterministically). dx is overwritten.
    public static void IndexAdd<T>(ReadOnlySpan<T> g, ReadOnlySpan<int> index, Span<T> dx, int outer, int size, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        dx.Clear();
        int k = index.Length;
        for (int o = 0; o < outer; o++)
        {
            var dxo = dx.Slice(o * size * inner, size * inner);
            var go = g.Slice(o * k * inner, k * inner);
            for (int j = 0; j < k; j++)
            {
                var row = dxo.Slice(index[j] * inner, inner);
                TensorPrimitives.Add(row, go.Slice(j * inner, inner), row);
            }
        }
    }

    // x: (O, S_x, I) → d: (O, S, I) at offset along the middle axis; d[o, offset + s, i] = x[o, s, i].
    public static void CopyIntoAxis<T>(ReadOnlySpan<T> x, Span<T> d, int outer, int partSize, int size, int inner, int offset)
        where T : unmanaged
    {
        int run = partSize * inner;
        for (int o = 0; o < outer; o++)
        {
            x.Slice(o * run, run).CopyTo(d.Slice((o * size + offset) * inner, run));
        }
    }
}
