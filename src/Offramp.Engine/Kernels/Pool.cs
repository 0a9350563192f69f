using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
                    int o = (((pl * oh) + i) * ow) + j;
                    y[o] = WindowMax(xp, w, h0, h1, w0, w1, out arg[o]);
                }
            }
        }
    }

    /// <summary>
    /// The window's first maximum in row-major order, or its first NaN (which ends the scan), and its index in the
    /// plane (the window's first position when every value is −∞). Max pooling and <see cref="MaxAvgMix"/> share it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T WindowMax<T>(ReadOnlySpan<T> xp, int w, int h0, int h1, int w0, int w1, out int index)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T best = T.NegativeInfinity;
        index = (h0 * w) + w0;
        for (int r = h0; r < h1; r++)
        {
            for (int c = w0; c < w1; c++)
            {
                T v = xp[(r * w) + c];
                if (v > best || T.IsNaN(v))
                {
                    best = v;
                    index = (r * w) + c;
                    if (T.IsNaN(v))
                    {
                        return best;
                    }
                }
            }
        }

        return best;
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
                    y[(((pl * oh) + i) * ow) + j] = WindowSum(xp, w, h0, h1, w0, w1) / T.CreateTruncating(dh * dw);
                }
            }
        }
    }

    /// <summary>
    /// Sum of the window rows [h0, h1) × columns [w0, w1) of a plane of width <paramref name="w"/>. Windows narrower
    /// than 8 columns are summed column by column (each column top to bottom from 0, then the column sums left to
    /// right from 0), the order <see cref="MaxAvgMix"/> reproduces with vectors; wider ones row by row with
    /// TensorPrimitives.Sum. Average pooling and <see cref="MaxAvgMix"/> share it, so they give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T WindowSum<T>(ReadOnlySpan<T> xp, int w, int h0, int h1, int w0, int w1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        if (w1 - w0 < 8)
        {
            for (int c = w0; c < w1; c++)
            {
                T cs = T.Zero;
                for (int r = h0; r < h1; r++)
                {
                    cs += xp[(r * w) + c];
                }

                sum += cs;
            }

            return sum;
        }

        for (int r = h0; r < h1; r++)
        {
            sum += TensorPrimitives.Sum(xp.Slice((r * w) + w0, w1 - w0));
        }

        return sum;
    }

    /// <summary>
    /// SDN's mixed pooling in one pass: x: (P, H, W) → y: (P, ⌊H/k⌋, ⌊W/k⌋) with
    /// y = (max·alpha) + (mean·oneMinusAlpha) over each k × k window (kernel = stride = k, no padding). Max and mean
    /// are those of <see cref="MaxForward{T}"/> (the first NaN wins) and <see cref="AvgForward{T}"/>
    /// (<see cref="WindowSum{T}"/> / k²), and the products and sum are the separate ops' float operations, so the
    /// result is bit-identical to <c>max_pool2d(x, k)·alpha + avg_pool2d(x, k)·(1 − alpha)</c>.
    /// </summary>
    /// <remarks>
    /// For k &lt; 8 each output row first reduces its k input rows column-wise with Vector256 (sums from 0 in row
    /// order; maxima by "greater than" selection), then each window adds its k column sums left to right — the order
    /// of <see cref="WindowSum{T}"/> — and takes the largest column maximum. A window whose maximum is ±0 (where
    /// the sign depends on which zero comes first) and an output row with a NaN use the row-major scalar scan.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void MaxAvgMix(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int k, float alpha,
        float oneMinusAlpha)
    {
        int oh = h / k, ow = w / k, cols = ow * k;
        if (x.Length < planes * h * w || y.Length < planes * oh * ow)
        {
            throw new ArgumentException($"MaxAvgMix: {planes} planes of {h}×{w} (k = {k}) need {planes * h * w} inputs and " +
                $"{planes * oh * ow} outputs, got {x.Length} and {y.Length}");
        }

        float div = k * k;
        bool columns = k < 8 && cols <= 1024;
        float* cs = stackalloc float[columns ? cols : 1];
        float* cm = stackalloc float[columns ? cols : 1];
        fixed (float* px = x, py = y)
        {
            for (int pl = 0; pl < planes; pl++)
            {
                var xs = x.Slice(pl * h * w, h * w);
                float* xp = px + ((nint)pl * h * w);
                for (int i = 0; i < oh; i++)
                {
                    int h0 = i * k, h1 = h0 + k;
                    float* yr = py + ((nint)((pl * oh) + i) * ow);
                    if (!columns || ColumnReduce(xp + ((nint)h0 * w), w, k, cols, cs, cm))
                    {
                        // Scalar: no column buffers, or a NaN in these rows.
                        for (int j = 0; j < ow; j++)
                        {
                            int w0 = j * k;
                            float mean = WindowSum(xs, w, h0, h1, w0, w0 + k) / div;
                            yr[j] = (WindowMax(xs, w, h0, h1, w0, w0 + k, out _) * alpha) + (mean * oneMinusAlpha);
                        }

                        continue;
                    }

                    for (int j = 0; j < ow; j++)
                    {
                        float* s = cs + (j * k), m = cm + (j * k);
                        float sum = 0f, best = float.NegativeInfinity;
                        for (int t = 0; t < k; t++)
                        {
                            sum += s[t];
                            best = MathF.Max(best, m[t]); // branch-free: NaN rows took the scalar path, ±0 is redone below
                        }

                        if (best == 0f)
                        {
                            best = WindowMax(xs, w, h0, h1, j * k, (j * k) + k, out _); // ±0: the first zero in row-major order
                        }

                        yr[j] = (best * alpha) + ((sum / div) * oneMinusAlpha);
                    }
                }
            }
        }
    }

    // Column sums (from 0, rows in order) and maxima of k rows of width `cols` starting at `rows`, row stride w.
    // Returns true when a NaN was seen (the caller then scans the windows one by one).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool ColumnReduce(float* rows, int w, int k, int cols, float* cs, float* cm)
    {
        // Vector blocks of 8 columns; when cols is not a multiple of 8 (and at least 8), the last block is
        // [cols − 8, cols), overlapping the one before (the same values are written again).
        int c = 0;
        var nan = Vector256<float>.Zero;
        for (int c0 = 0; cols >= 8 && c < cols; c0 += 8)
        {
            int b = Math.Min(c0, cols - 8);
            var sum = Vector256<float>.Zero;
            var max = Vector256.Create(float.NegativeInfinity);
            float* p = rows + b;
            for (int r = 0; r < k; r++, p += w)
            {
                var v = Vector256.Load(p);
                sum += v;
                max = Vector256.ConditionalSelect(Vector256.GreaterThan(v, max), v, max);
                nan |= ~Vector256.Equals(v, v);
            }

            sum.Store(cs + b);
            max.Store(cm + b);
            c = b + 8;
        }

        bool anyNaN = nan != Vector256<float>.Zero;
        for (; c < cols; c++)
        {
            float sum = 0f, max = float.NegativeInfinity;
            float* p = rows + c;
            for (int r = 0; r < k; r++, p += w)
            {
                float v = *p;
                sum += v;
                max = v > max ? v : max;
                anyNaN |= float.IsNaN(v);
            }

            cs[c] = sum;
            cm[c] = max;
        }

        return anyNaN;
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
