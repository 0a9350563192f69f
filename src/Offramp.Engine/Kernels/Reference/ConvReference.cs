namespace Offramp.Engine.Kernels.Reference;

/// <summary>
/// The naive twin of the convolution kernels: the 7-loop definition of PyTorch's conv2d (cross-correlation with
/// zero padding, stride, dilation and groups) and its two adjoints, generic over the element type. The test
/// oracle of <see cref="Conv"/> and <see cref="ConvDepthwise"/>, and the convolution of float64 tensors.
/// </summary>
internal static class ConvReference
{
    // x: (N, C, H, W), w: (O, C/groups, KH, KW), b: (O) or empty → y: (N, O, OH, OW).
    // y[n, o, oh, ow] = b[o] + Σ_{c, kh, kw} x[n, g·Cg + c, oh·sH − pH + kh·dH, ow·sW − pW + kw·dW] · w[o, c, kh, kw].
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh_ = g.OH, ow_ = g.OW;
        for (int n = 0; n < g.N; n++)
        {
            for (int o = 0; o < g.O; o++)
            {
                int c0 = o / g.Og * g.Cg;
                for (int oh = 0; oh < oh_; oh++)
                {
                    for (int ow = 0; ow < ow_; ow++)
                    {
                        T sum = b.IsEmpty ? T.Zero : b[o];
                        for (int c = 0; c < g.Cg; c++)
                        {
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                                    int iw = (ow * g.Stride.W) - g.Padding.W + (kw * g.Dilation.W);
                                    if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W)
                                    {
                                        sum += x[(((((n * g.C) + c0 + c) * g.H) + ih) * g.W) + iw]
                                            * w[(((((o * g.Cg) + c) * g.KH) + kh) * g.KW) + kw];
                                    }
                                }
                            }
                        }

                        y[(((((n * g.O) + o) * oh_) + oh) * ow_) + ow] = sum;
                    }
                }
            }
        }
    }

    // gy: (N, O, OH, OW), w: (O, C/groups, KH, KW) → gx: (N, C, H, W), overwritten: the adjoint of Forward in x.
    public static void BackwardInput<T>(ReadOnlySpan<T> gy, ReadOnlySpan<T> w, Span<T> gx, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        gx.Clear();
        int oh_ = g.OH, ow_ = g.OW;
        for (int n = 0; n < g.N; n++)
        {
            for (int o = 0; o < g.O; o++)
            {
                int c0 = o / g.Og * g.Cg;
                for (int oh = 0; oh < oh_; oh++)
                {
                    for (int ow = 0; ow < ow_; ow++)
                    {
                        int yi = (((((n * g.O) + o) * oh_) + oh) * ow_) + ow;
                        for (int c = 0; c < g.Cg; c++)
                        {
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                                    int iw = (ow * g.Stride.W) - g.Padding.W + (kw * g.Dilation.W);
                                    if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W)
                                    {
                                        int xi = (((((n * g.C) + c0 + c) * g.H) + ih) * g.W) + iw;
                                        int wi = (((((o * g.Cg) + c) * g.KH) + kh) * g.KW) + kw;
                                        gx[xi] += gy[yi] * w[wi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // x: (N, C, H, W), gy: (N, O, OH, OW) → gw: (O, C/groups, KH, KW), overwritten: the adjoint of Forward in w.
    public static void BackwardWeight<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gw, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        gw.Clear();
        int oh_ = g.OH, ow_ = g.OW;
        for (int n = 0; n < g.N; n++)
        {
            for (int o = 0; o < g.O; o++)
            {
                int c0 = o / g.Og * g.Cg;
                for (int oh = 0; oh < oh_; oh++)
                {
                    for (int ow = 0; ow < ow_; ow++)
                    {
                        int yi = (((((n * g.O) + o) * oh_) + oh) * ow_) + ow;
                        for (int c = 0; c < g.Cg; c++)
                        {
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                                    int iw = (ow * g.Stride.W) - g.Padding.W + (kw * g.Dilation.W);
                                    if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W)
                                    {
                                        int xi = (((((n * g.C) + c0 + c) * g.H) + ih) * g.W) + iw;
                                        int wi = (((((o * g.Cg) + c) * g.KH) + kh) * g.KW) + kw;
                                        gw[wi] += gy[yi] * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // gy: (N, O, OH, OW) → gb: (O), overwritten: Σ over n, oh, ow.
    public static void BackwardBias<T>(ReadOnlySpan<T> gy, Span<T> gb, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ohw = g.OH * g.OW;
        gb.Clear();
        for (int n = 0; n < g.N; n++)
        {
            for (int o = 0; o < g.O; o++)
            {
                for (int s = 0; s < ohw; s++)
                {
                    gb[o] += gy[(((n * g.O) + o) * ohw) + s];
                }
            }
        }
    }
}
