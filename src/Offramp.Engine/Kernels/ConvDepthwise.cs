namespace Offramp.Engine.Kernels;

/// <summary>
/// Direct float32 depthwise convolution (groups == C, O = C·multiplier; MobileNet, RegNet, ConvNeXt): each output
/// plane is a weighted sum of shifted rows of one input plane, so no im2col is needed. With stride 1 along W every
/// tap is one vectorised multiply-add over a run of the output row; other strides gather in a scalar loop.
/// Work is split by plane (forward: per (n, o); input gradient: per (n, c); weight gradient: per o), so each
/// output element is summed in a fixed order.
/// </summary>
internal static unsafe class ConvDepthwise
{
    // x: (N, C, H, W), w: (O, 1, KH, KW), b: (O) or empty → y: (N, O, OH, OW).
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, ConvGeometry g)
    {
        Debug.Assert(g.IsDepthwise && w.Length == g.O * g.KH * g.KW);
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            nint xa = (nint)px, wa = (nint)pw, ba = (nint)pb, ya = (nint)py;
            bool hasBias = !b.IsEmpty;
            int hw = g.H * g.W, ohw = g.OH * g.OW, kk = g.KH * g.KW, mult = g.O / g.C;
            Parallelism.For(g.N * g.O, t =>
            {
                int n = t / g.O, o = t % g.O, c = o / mult;
                var xp = new ReadOnlySpan<float>((float*)xa + ((nint)((n * g.C) + c) * hw), hw);
                var wk = new ReadOnlySpan<float>((float*)wa + ((nint)o * kk), kk);
                var yp = new Span<float>((float*)ya + ((nint)t * ohw), ohw);
                yp.Fill(hasBias ? ((float*)ba)[o] : 0f);
                Accumulate(xp, wk, yp, g);
            }, 2L * ohw * kk);
        }
    }

    // gy: (N, O, OH, OW), w: (O, 1, KH, KW) → gx: (N, C, H, W), overwritten.
    public static void BackwardInput(ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx, ConvGeometry g)
    {
        fixed (float* pgy = gy, pw = w, pgx = gx)
        {
            nint gya = (nint)pgy, wa = (nint)pw, gxa = (nint)pgx;
            int hw = g.H * g.W, ohw = g.OH * g.OW, kk = g.KH * g.KW, mult = g.O / g.C;
            Parallelism.For(g.N * g.C, t =>
            {
                int n = t / g.C, c = t % g.C;
                var gxp = new Span<float>((float*)gxa + ((nint)t * hw), hw);
                gxp.Clear();
                for (int j = 0; j < mult; j++)
                {
                    int o = (c * mult) + j;
                    var gyp = new ReadOnlySpan<float>((float*)gya + ((nint)((n * g.O) + o) * ohw), ohw);
                    var wk = new ReadOnlySpan<float>((float*)wa + ((nint)o * kk), kk);
                    Scatter(gyp, wk, gxp, g);
                }
            }, 2L * ohw * kk * mult);
        }
    }

    // x: (N, C, H, W), gy: (N, O, OH, OW) → gw: (O, 1, KH, KW), overwritten; summed over n then oh in order.
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gw, ConvGeometry g)
    {
        fixed (float* px = x, pgy = gy, pgw = gw)
        {
            nint xa = (nint)px, gya = (nint)pgy, gwa = (nint)pgw;
            int hw = g.H * g.W, ohw = g.OH * g.OW, kk = g.KH * g.KW, mult = g.O / g.C;
            Parallelism.For(g.O, o =>
            {
                var gwk = new Span<float>((float*)gwa + ((nint)o * kk), kk);
                gwk.Clear();
                for (int n = 0; n < g.N; n++)
                {
                    var xp = new ReadOnlySpan<float>((float*)xa + ((nint)((n * g.C) + (o / mult)) * hw), hw);
                    var gyp = new ReadOnlySpan<float>((float*)gya + ((nint)((n * g.O) + o) * ohw), ohw);
                    Correlate(xp, gyp, gwk, g);
                }
            }, 2L * g.N * ohw * kk);
        }
    }

    // xp: (H, W), wk: (KH, KW) → yp: (OH, OW) += Σ_taps wk[kh, kw] · x shifted.
    private static void Accumulate(ReadOnlySpan<float> xp, ReadOnlySpan<float> wk, Span<float> yp, ConvGeometry g)
    {
        for (int oh = 0; oh < g.OH; oh++)
        {
            var yr = yp.Slice(oh * g.OW, g.OW);
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                if ((uint)ih >= (uint)g.H)
                {
                    continue;
                }

                var xr = xp.Slice(ih * g.W, g.W);
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int off = (kw * g.Dilation.W) - g.Padding.W;
                    var (lo, hi) = ConvGeometry.ValidRange(g.OW, g.W, g.Stride.W, off);
                    if (lo >= hi)
                    {
                        continue;
                    }

                    float wv = wk[(kh * g.KW) + kw];
                    if (g.Stride.W == 1)
                    {
                        var d = yr[lo..hi];
                        TensorPrimitives.MultiplyAdd(xr.Slice(lo + off, hi - lo), wv, d, d);
                    }
                    else
                    {
                        for (int ow = lo; ow < hi; ow++)
                        {
                            yr[ow] += wv * xr[(ow * g.Stride.W) + off];
                        }
                    }
                }
            }
        }
    }

    // gyp: (OH, OW), wk: (KH, KW) → gxp: (H, W) += the adjoint of Accumulate.
    private static void Scatter(ReadOnlySpan<float> gyp, ReadOnlySpan<float> wk, Span<float> gxp, ConvGeometry g)
    {
        for (int oh = 0; oh < g.OH; oh++)
        {
            var gyr = gyp.Slice(oh * g.OW, g.OW);
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                if ((uint)ih >= (uint)g.H)
                {
                    continue;
                }

                var gxr = gxp.Slice(ih * g.W, g.W);
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int off = (kw * g.Dilation.W) - g.Padding.W;
                    var (lo, hi) = ConvGeometry.ValidRange(g.OW, g.W, g.Stride.W, off);
                    if (lo >= hi)
                    {
                        continue;
                    }

                    float wv = wk[(kh * g.KW) + kw];
                    if (g.Stride.W == 1)
                    {
                        var d = gxr.Slice(lo + off, hi - lo);
                        TensorPrimitives.MultiplyAdd(gyr[lo..hi], wv, d, d);
                    }
                    else
                    {
                        for (int ow = lo; ow < hi; ow++)
                        {
                            gxr[(ow * g.Stride.W) + off] += wv * gyr[ow];
                        }
                    }
                }
            }
        }
    }

    // xp: (H, W), gyp: (OH, OW) → gwk: (KH, KW) += Σ_{oh, ow} gy[oh, ow] · x[tap position].
    private static void Correlate(ReadOnlySpan<float> xp, ReadOnlySpan<float> gyp, Span<float> gwk, ConvGeometry g)
    {
        for (int oh = 0; oh < g.OH; oh++)
        {
            var gyr = gyp.Slice(oh * g.OW, g.OW);
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = (oh * g.Stride.H) - g.Padding.H + (kh * g.Dilation.H);
                if ((uint)ih >= (uint)g.H)
                {
                    continue;
                }

                var xr = xp.Slice(ih * g.W, g.W);
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int off = (kw * g.Dilation.W) - g.Padding.W;
                    var (lo, hi) = ConvGeometry.ValidRange(g.OW, g.W, g.Stride.W, off);
                    if (lo >= hi)
                    {
                        continue;
                    }

                    float acc = 0f;
                    if (g.Stride.W == 1)
                    {
                        acc = TensorPrimitives.Dot(gyr[lo..hi], xr.Slice(lo + off, hi - lo));
                    }
                    else
                    {
                        for (int ow = lo; ow < hi; ow++)
                        {
                            acc += gyr[ow] * xr[(ow * g.Stride.W) + off];
                        }
                    }

                    gwk[(kh * g.KW) + kw] += acc;
                }
            }
        }
    }
}
