using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The im2col / col2im transforms that turn a convolution into a GEMM (Caffe, PyTorch's slow_conv2d): row
/// r = (c·KH + kh)·KW + kw of the column matrix holds, for every output position (oh, ow), the input pixel that
/// tap (kh, kw) of channel c sees there, or 0 in the padding.
/// </summary>
internal static unsafe class Im2Col
{
    // x: (C, H, W) one image → col: (C·KH·KW, OH·OW). Zero padding.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> col, in ConvGeometry g, int channels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh_ = g.OH, ow_ = g.OW, ohw = oh_ * ow_;
        int r = 0;
        for (int c = 0; c < channels; c++)
        {
            var xc = x.Slice(c * g.H * g.W, g.H * g.W);
            for (int kh = 0; kh < g.KH; kh++)
            {
                for (int kw = 0; kw < g.KW; kw++, r++)
                {
                    var row = col.Slice(r * ohw, ohw);
                    int offW = (kw * g.Dilation.W) - g.Padding.W;
                    var (lo, hi) = ConvGeometry.ValidRange(ow_, g.W, g.Stride.W, offW);
                    for (int oh = 0; oh < oh_; oh++)
                    {
                        var seg = row.Slice(oh * ow_, ow_);
                        int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                        if ((uint)ih >= (uint)g.H || lo >= hi)
                        {
                            seg.Clear();
                            continue;
                        }

                        seg[..lo].Clear();
                        seg[hi..].Clear();
                        var xr = xc.Slice(ih * g.W, g.W);
                        if (g.Stride.W == 1)
                        {
                            xr.Slice(lo + offW, hi - lo).CopyTo(seg[lo..hi]);
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++)
                            {
                                seg[ow] = xr[(ow * g.Stride.W) + offW];
                            }
                        }
                    }
                }
            }
        }
    }

    // col: (C·KH·KW, OH·OW) → x: (C, H, W), accumulated (x += col2im(col)); the adjoint of Forward.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> col, Span<T> x, in ConvGeometry g, int channels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh_ = g.OH, ow_ = g.OW, ohw = oh_ * ow_;
        int r = 0;
        for (int c = 0; c < channels; c++)
        {
            var xc = x.Slice(c * g.H * g.W, g.H * g.W);
            for (int kh = 0; kh < g.KH; kh++)
            {
                for (int kw = 0; kw < g.KW; kw++, r++)
                {
                    var row = col.Slice(r * ohw, ohw);
                    int offW = (kw * g.Dilation.W) - g.Padding.W;
                    var (lo, hi) = ConvGeometry.ValidRange(ow_, g.W, g.Stride.W, offW);
                    if (lo >= hi)
                    {
                        continue;
                    }

                    for (int oh = 0; oh < oh_; oh++)
                    {
                        int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                        if ((uint)ih >= (uint)g.H)
                        {
                            continue;
                        }

                        var seg = row.Slice(oh * ow_, ow_);
                        var xr = xc.Slice(ih * g.W, g.W);
                        if (g.Stride.W == 1)
                        {
                            var dst = xr.Slice(lo + offW, hi - lo);
                            TensorPrimitives.Add(dst, seg[lo..hi], dst);
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++)
                            {
                                xr[(ow * g.Stride.W) + offW] += seg[ow];
                            }
                        }
                    }
                }
            }
        }
    }

    // The float32 col2im of the conv kernels: col (C·KH·KW × OH·OW, rows ld floats apart) → x (C, H, W), overwritten —
    // bit-identical to clearing x and calling Backward: every element sums its taps in Backward's order, (kh, kw),
    // starting from +0. With AVX-512 and a horizontal stride of 1, each run of 16 pixels of an input row is summed in
    // one register (BackwardIntoRows); otherwise x is cleared and Backward runs (col's rows must then be contiguous).
    public static void BackwardInto(float* col, int ld, float* x, in ConvGeometry g, int channels)
    {
        if (Avx512F.IsSupported && g.Stride.W == 1)
        {
            BackwardIntoRows(col, ld, x, g, channels);
            return;
        }

        int ohw = g.OH * g.OW, n = channels * g.H * g.W;
        if (ld != ohw)
        {
            throw new ArgumentException($"col2im without AVX-512 or at stride {g.Stride.W} needs contiguous rows (ld {ld}, OH·OW {ohw})");
        }

        var xs = new Span<float>(x, n);
        xs.Clear();
        Backward(new ReadOnlySpan<float>(col, channels * g.KH * g.KW * ohw), xs, g, channels);
    }

    // BackwardInto for Stride.W == 1 with AVX-512: each 16-pixel run summed in a register, one masked load per tap
    // (lanes a tap does not feed load +0, and v + 0 = v for these sums, which are never −0); no memory is written
    // before the sum is done, so no store has to be forwarded to a load. Pixel (ih, iw) gets, from tap (kh, kw), col row (c, kh, kw) at
    // output position (oh, ow) with oh·sH + kh·dH = ih + pH and ow + kw·dW = iw + pW. For 16 pixels from iw = xb, that
    // tap's segment of output row oh feeds lanes [lo, lo + OW) with lo = kw·dW − pW − xb, read from seg − lo.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BackwardIntoRows(float* col, int ld, float* x, in ConvGeometry g, int channels)
    {
        int ow_ = g.OW, khw = g.KH * g.KW, sH = g.Stride.H;
        var lanes = Vector512<int>.Indices;
        for (int c = 0; c < channels; c++)
        {
            float* rc = col + ((nint)c * khw * ld);
            float* xc = x + ((nint)c * g.H * g.W);
            for (int ih = 0; ih < g.H; ih++)
            {
                for (int xb = 0; xb < g.W; xb += 16)
                {
                    var acc = Vector512<float>.Zero;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int t = ih + g.Padding.H - (kh * g.Dilation.H);
                        if (t < 0 || t % sH != 0 || t / sH >= g.OH)
                        {
                            continue;
                        }

                        float* rowTaps = rc + ((nint)kh * g.KW * ld) + ((nint)(t / sH) * ow_);
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int lo = (kw * g.Dilation.W) - g.Padding.W - xb;
                            var feeds = Vector512.GreaterThanOrEqual(lanes, Vector512.Create(lo))
                                & Vector512.LessThan(lanes, Vector512.Create(lo + ow_));
                            acc += Avx512F.MaskLoad(rowTaps + ((nint)kw * ld) - lo, feeds.AsSingle(), Vector512<float>.Zero);
                        }
                    }

                    int n = Math.Min(16, g.W - xb);
                    Avx512F.MaskStore(xc + ((nint)ih * g.W) + xb, Vector512.LessThan(lanes, Vector512.Create(n)).AsSingle(), acc);
                }
            }
        }
    }
}
