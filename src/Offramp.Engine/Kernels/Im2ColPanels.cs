using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// im2col written straight into GEMM's packed B panels (an implicit-GEMM pack): the column matrix of
/// <see cref="Im2Col.Forward"/> is never stored whole. For one k block of rows and one range of output positions,
/// each im2col row segment is built in a small L1-resident row buffer and copied out in NR-float pieces to
/// <c>dst[panel·NR·kc + p·NR + j]</c>, the layout the micro-kernels stream.
/// </summary>
/// <remarks>
/// Row r = (c·KH + kh)·KW + kw and column j = oh·OW + ow hold x[c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW] or 0 in
/// the padding — the values of <see cref="Im2Col.Forward"/>, so a GEMM over these panels sums exactly the same
/// products in the same order as one over the stored column matrix.
/// </remarks>
internal static unsafe class Im2ColPanels
{
    [ThreadStatic]
    private static float[]? t_row;

    // x: (Cg, H, W) — the group's channels of one image; im2col rows [p0, p0 + kc), columns [j0, j0 + n) →
    // dst: ⌈n / nr⌉ panels of (kc × nr), p-major, columns past n zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* x, in ConvGeometry g, int p0, int kc, int j0, int n, int nr, float* dst)
    {
        int nPad = Gemm.RoundUp(n, nr), khw = g.KH * g.KW;
        float* row = Row(nPad);
        new Span<float>(row + n, nPad - n).Clear();
        for (int p = 0; p < kc; p++)
        {
            int r = p0 + p, c = r / khw, t = r - (c * khw), kh = t / g.KW, kw = t - (kh * g.KW);
            FillRow(x + ((nint)c * g.H * g.W), g, kh, kw, j0, n, row);
            float* d = dst + ((nint)p * nr);
            for (int jr = 0; jr < nPad; jr += nr)
            {
                Unsafe.CopyBlockUnaligned(d + ((nint)jr * kc), row + jr, (uint)(nr * sizeof(float)));
            }
        }
    }

    // xc: (H, W) one channel → row[0 .. n): im2col row of tap (kh, kw) over output positions j0 .. j0 + n − 1,
    // walked one output row (oh) segment at a time: zeros outside the valid range, a copy (stride 1) or a
    // strided gather inside it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillRow(float* xc, in ConvGeometry g, int kh, int kw, int j0, int n, float* row)
    {
        int ow_ = g.OW, sW = g.Stride.W;
        int offW = (kw * g.Dilation.W) - g.Padding.W;
        var (lo, hi) = ConvGeometry.ValidRange(ow_, g.W, sW, offW);
        int oh = j0 / ow_, ow0 = j0 - (oh * ow_);
        for (int j = 0; j < n; oh++, ow0 = 0)
        {
            int len = Math.Min(ow_ - ow0, n - j);
            float* seg = row + j - ow0; // seg[ow] is output position (oh, ow)
            int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
            int a = Math.Max(lo, ow0), b = Math.Min(hi, ow0 + len);
            if ((uint)ih >= (uint)g.H || a >= b)
            {
                new Span<float>(seg + ow0, len).Clear();
            }
            else
            {
                new Span<float>(seg + ow0, a - ow0).Clear();
                new Span<float>(seg + b, ow0 + len - b).Clear();
                float* xr = xc + ((nint)ih * g.W) + offW;
                if (sW == 1)
                {
                    Unsafe.CopyBlockUnaligned(seg + a, xr + a, (uint)((b - a) * sizeof(float)));
                }
                else
                {
                    for (int ow = a; ow < b; ow++)
                    {
                        seg[ow] = xr[ow * sW];
                    }
                }
            }

            j += len;
        }
    }

    // Thread-local pinned row buffer, grown on demand.
    private static float* Row(int n)
    {
        if (t_row is null || t_row.Length < n)
        {
            t_row = GC.AllocateUninitializedArray<float>(Math.Max(n, 1024), pinned: true);
        }

        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_row));
    }
}
