using System.Runtime.CompilerServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// 2-D pooling over planes (N·C planes of H × W), generic over the element type, forward and backward, with
/// PyTorch's conventions: max pooling treats padding as −∞ and sends the gradient to the first maximum of each
/// window in row-major order (a NaN counts as the maximum); average pooling divides by the window clipped to
/// the padded input (countIncludePad) or to the input; adaptive pooling uses bins [⌊i·H/out⌋, ⌈(i+1)·H/out⌉).
/// Windows are clipped to the input instead of visiting padding (the difference from <see cref="Reference.PoolReference"/>).
/// </summary>
internal static class Pool
{
    /// <summary>Window rows/cols [start, end) of output position <paramref name="o"/> for kernel k, stride s, padding p, clipped to [0, size).</summary>
    public static (int Start, int End) Window(int o, int size, int k, int s, int p)
    {
        int start = (o * s) - p;
        return (Math.Max(start, 0), Math.Min(start + k, size));
    }

    /// <summary>Adaptive bin [⌊i·size/out⌋, ⌈(i+1)·size/out⌉) (PyTorch's start_index / end_index).</summary>
    public static (int Start, int End) Bin(int i, int size, int outSize)
        => ((int)((long)i * size / outSize), (int)((((long)(i + 1) * size) + outSize - 1) / outSize));

    // x: (P, H, W) → y: (P, OH, OW), arg: (P, OH, OW) index within the plane of each window's first maximum.
    // adaptive: bins of Bin(); otherwise windows of Window(k, s, p).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> arg, int planes, int h, int w, int oh, int ow,
        (int K, int S, int P) wh, (int K, int S, int P) ww, bool adaptive)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int pl = 0; pl < planes; pl++)
        {
            var xp = x.Slice(pl * h * w, h * w);
            for (int i = 0; i < oh; i++)
            {
                var (h0, h1) = adaptive ? Bin(i, h, oh) : Window(i, h, wh.K, wh.S, wh.P);
                for (int j = 0; j < ow; j++)
                {
                    var (w0, w1) = adaptive ? Bin(j, w, ow) : Window(j, w, ww.K, ww.S, ww.P);
                    T best = T.NegativeInfinity;
                    int bi = (h0 * w) + w0;
                    for (int r = h0; r < h1; r++)
                    {
                        for (int c = w0; c < w1; c++)
                        {
                            T v = xp[(r * w) + c];
                            if (v > best || T.IsNaN(v))
                            {
                                best = v;
                                bi = (r * w) + c;
                                if (T.IsNaN(v))
                                {
                                    goto Done;
                                }
                            }
                        }
                    }

                Done:
                    int o = (((pl * oh) + i) * ow) + j;
                    y[o] = best;
                    arg[o] = bi;
                }
            }
        }
    }

    // gy: (P, OH, OW), arg from MaxForward → gx: (P, H, W), overwritten: gx[arg] += gy (windows may overlap).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward<T>(ReadOnlySpan<T> gy, ReadOnlySpan<int> arg, Span<T> gx, int planes, int hw, int ohw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        gx.Clear();
        for (int pl = 0; pl < planes; pl++)
        {
            var gxp = gx.Slice(pl * hw, hw);
            for (int o = pl * ohw, end = o + ohw; o < end; o++)
            {
                gxp[arg[o]] += gy[o];
            }
        }
    }

    // x: (P, H, W) → y: (P, OH, OW) window means. Regular windows divide by the window clipped to the padded input
    // (countIncludePad) or to the input; adaptive bins by their size.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int h, int w, int oh, int ow,
        (int K, int S, int P) wh, (int K, int S, int P) ww, bool countIncludePad, bool adaptive)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int pl = 0; pl < planes; pl++)
        {
            var xp = x.Slice(pl * h * w, h * w);
            for (int i = 0; i < oh; i++)
            {
                var (h0, h1, dh) = AvgBounds(i, h, oh, wh, countIncludePad, adaptive);
                for (int j = 0; j < ow; j++)
                {
                    var (w0, w1, dw) = AvgBounds(j, w, ow, ww, countIncludePad, adaptive);
                    T sum = T.Zero;
                    for (int r = h0; r < h1; r++)
                    {
                        sum += TensorPrimitives.Sum(xp.Slice((r * w) + w0, w1 - w0));
                    }

                    y[(((pl * oh) + i) * ow) + j] = sum / T.CreateTruncating(dh * dw);
                }
            }
        }
    }

    // gy: (P, OH, OW) → gx: (P, H, W), overwritten: each window gets gy / divisor.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward<T>(ReadOnlySpan<T> gy, Span<T> gx, int planes, int h, int w, int oh, int ow,
        (int K, int S, int P) wh, (int K, int S, int P) ww, bool countIncludePad, bool adaptive)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        gx.Clear();
        for (int pl = 0; pl < planes; pl++)
        {
            var gxp = gx.Slice(pl * h * w, h * w);
            for (int i = 0; i < oh; i++)
            {
                var (h0, h1, dh) = AvgBounds(i, h, oh, wh, countIncludePad, adaptive);
                for (int j = 0; j < ow; j++)
                {
                    var (w0, w1, dw) = AvgBounds(j, w, ow, ww, countIncludePad, adaptive);
                    T g = gy[(((pl * oh) + i) * ow) + j] / T.CreateTruncating(dh * dw);
                    for (int r = h0; r < h1; r++)
                    {
                        var row = gxp.Slice((r * w) + w0, w1 - w0);
                        TensorPrimitives.Add(row, g, row);
                    }
                }
            }
        }
    }

    // One axis of an average window: clipped [start, end) and its share of the divisor (PyTorch avg_pool2d:
    // pool_size uses the window clipped to size + padding).
    private static (int Start, int End, int Div) AvgBounds(int o, int size, int outSize, (int K, int S, int P) k,
        bool countIncludePad, bool adaptive)
    {
        if (adaptive)
        {
            var (a, b) = Bin(o, size, outSize);
            return (a, b, b - a);
        }

        int start = (o * k.S) - k.P;
        int end = Math.Min(start + k.K, size + k.P);
        int padded = end - start;
        start = Math.Max(start, 0);
        end = Math.Min(end, size);
        return (start, end, countIncludePad ? padded : end - start);
    }
}
