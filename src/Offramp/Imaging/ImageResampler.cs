using System.Diagnostics;

namespace Offramp.Imaging;

/// <summary>Separable resampling of float image planes (PIL's <c>ImagingResample</c> algorithm, in float).</summary>
internal static class ImageResampler
{
    // src: (C, H, W), dst: (C, OH, OW). Horizontal pass into (C, H, OW), then vertical.
    public static void Resize(
        ReadOnlySpan<float> src, int c, int h, int w, Span<float> dst, int oh, int ow, ResizeFilter filter)
    {
        Debug.Assert(src.Length == c * h * w && dst.Length == c * oh * ow);
        var (xStart, xCount, xWeights, xk) = Coefficients(w, ow, filter);
        var (yStart, yCount, yWeights, yk) = Coefficients(h, oh, filter);
        var tmp = new float[c * h * ow];
        for (int row = 0; row < c * h; row++)
        {
            var s = src.Slice(row * w, w);
            for (int x = 0; x < ow; x++)
            {
                float acc = 0;
                for (int k = 0; k < xCount[x]; k++)
                {
                    acc += s[xStart[x] + k] * xWeights[x * xk + k];
                }

                tmp[row * ow + x] = acc;
            }
        }

        for (int ch = 0; ch < c; ch++)
        {
            for (int y = 0; y < oh; y++)
            {
                var d = dst.Slice((ch * oh + y) * ow, ow);
                d.Clear();
                for (int k = 0; k < yCount[y]; k++)
                {
                    float wt = yWeights[y * yk + k];
                    var s = tmp.AsSpan((ch * h + yStart[y] + k) * ow, ow);
                    for (int x = 0; x < ow; x++)
                    {
                        d[x] += s[x] * wt;
                    }
                }
            }
        }
    }

    /// <summary>
    /// For each output index: the first input index, how many inputs it reads and their normalised weights
    /// (row-major, <c>k</c> per output). Mirrors PIL's <c>precompute_coeffs</c>: support 1 for the triangle,
    /// scaled by in/out when shrinking.
    /// </summary>
    private static (int[] Start, int[] Count, float[] Weights, int K) Coefficients(
        int inSize, int outSize, ResizeFilter filter)
    {
        double scale = (double)inSize / outSize;
        var start = new int[outSize];
        var count = new int[outSize];
        if (filter == ResizeFilter.Nearest)
        {
            var ones = new float[outSize];
            for (int i = 0; i < outSize; i++)
            {
                start[i] = Math.Min((int)Math.Floor((i + 0.5) * scale), inSize - 1);
                count[i] = 1;
                ones[i] = 1;
            }

            return (start, count, ones, 1);
        }

        double filterScale = Math.Max(scale, 1.0);
        double support = filterScale; // triangle support 1.0 × filter scale
        int k = (int)Math.Ceiling(support) * 2 + 1;
        var weights = new float[outSize * k];
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            int lo = Math.Max((int)(center - support + 0.5), 0);
            int hi = Math.Min((int)(center + support + 0.5), inSize);
            double sum = 0;
            var w = new double[hi - lo];
            for (int j = 0; j < w.Length; j++)
            {
                double t = Math.Abs((j + lo - center + 0.5) / filterScale);
                w[j] = t < 1 ? 1 - t : 0;
                sum += w[j];
            }

            start[i] = lo;
            count[i] = w.Length;
            for (int j = 0; j < w.Length; j++)
            {
                weights[i * k + j] = (float)(sum > 0 ? w[j] / sum : 0);
            }
        }

        return (start, count, weights, k);
    }
}
