using System.Runtime.CompilerServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The im2col / col2im transforms that turn a convolution into a GEMM (Caffe, PyTorch's slow_conv2d): row
/// r = (c·KH + kh)·KW + kw of the column matrix holds, for every output position (oh, ow), the input pixel that
/// tap (kh, kw) of channel c sees there, or 0 in the padding.
/// </summary>
internal static class Im2Col
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
}
