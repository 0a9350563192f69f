namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// Naive twins of <see cref="Pool"/>, written from PyTorch's definitions: max pooling visits every position of
/// the padded window and reads padding as −∞; average pooling counts the positions itself. Test oracles only.
/// </summary>
internal static class PoolReference
{
    // x: (P, H, W) → y: (P, OH, OW) max over each k × k window at stride s of the input padded by p with −∞.
    // arg: index within the plane of the first maximum (row-major; NaN wins).
    public static void MaxPool<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> arg, int planes, int h, int w, int k, int s, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = ((h + (2 * p) - k) / s) + 1, ow = ((w + (2 * p) - k) / s) + 1;
        for (int pl = 0; pl < planes; pl++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    T best = T.NegativeInfinity;
                    int bi = -1;
                    bool nan = false;
                    for (int r = 0; r < k; r++)
                    {
                        for (int c = 0; c < k; c++)
                        {
                            int ih = (i * s) - p + r, iw = (j * s) - p + c;
                            bool inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                            T v = inside ? x[(pl * h * w) + (ih * w) + iw] : T.NegativeInfinity;
                            if (!nan && (v > best || T.IsNaN(v) || (bi < 0 && inside)))
                            {
                                best = v;
                                bi = inside ? (ih * w) + iw : bi;
                                nan = T.IsNaN(v);
                            }
                        }
                    }

                    y[(((pl * oh) + i) * ow) + j] = best;
                    arg[(((pl * oh) + i) * ow) + j] = bi;
                }
            }
        }
    }

    // x: (P, H, W) → y: (P, OH, OW) mean over each window; the divisor counts padded positions that fall inside
    // [−p, size + p) when countIncludePad, else only input positions.
    public static void AvgPool<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int h, int w, int k, int s, int p, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = ((h + (2 * p) - k) / s) + 1, ow = ((w + (2 * p) - k) / s) + 1;
        for (int pl = 0; pl < planes; pl++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    T sum = T.Zero;
                    int count = 0;
                    for (int r = 0; r < k; r++)
                    {
                        for (int c = 0; c < k; c++)
                        {
                            int ih = (i * s) - p + r, iw = (j * s) - p + c;
                            bool inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                            bool inPadded = ih < h + p && iw < w + p;
                            if (inside)
                            {
                                sum += x[(pl * h * w) + (ih * w) + iw];
                            }

                            if (inside || (countIncludePad && inPadded))
                            {
                                count++;
                            }
                        }
                    }

                    y[(((pl * oh) + i) * ow) + j] = sum / T.CreateTruncating(count);
                }
            }
        }
    }

    // x: (P, H, W) → y: (P, OH, OW): mean (or first max) over bin rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉), likewise columns,
    // with the bin edges computed in floating point from the definition.
    public static void Adaptive<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int h, int w, int oh, int ow, bool max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int pl = 0; pl < planes; pl++)
        {
            for (int i = 0; i < oh; i++)
            {
                int h0 = (int)Math.Floor((double)i * h / oh), h1 = (int)Math.Ceiling((double)(i + 1) * h / oh);
                for (int j = 0; j < ow; j++)
                {
                    int w0 = (int)Math.Floor((double)j * w / ow), w1 = (int)Math.Ceiling((double)(j + 1) * w / ow);
                    T acc = max ? T.NegativeInfinity : T.Zero;
                    for (int r = h0; r < h1; r++)
                    {
                        for (int c = w0; c < w1; c++)
                        {
                            T v = x[(pl * h * w) + (r * w) + c];
                            acc = max ? (v > acc || T.IsNaN(v) || T.IsNaN(acc) ? (T.IsNaN(acc) ? acc : v) : acc) : acc + v;
                        }
                    }

                    y[(((pl * oh) + i) * ow) + j] = max ? acc : acc / T.CreateTruncating((h1 - h0) * (w1 - w0));
                }
            }
        }
    }
}
