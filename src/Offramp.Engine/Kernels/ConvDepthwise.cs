using System.Runtime.CompilerServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Direct float32 depthwise convolution (groups == C, O = C·multiplier; MobileNet, RegNet, ConvNeXt): no im2col.
/// Each plane is copied zero-padded and split into stride phases so that every tap reads a contiguous run for any
/// stride; blocks of 8 (or 4, or 1) output rows × 16 (Vector512) or 8 (Vector256) columns accumulate their taps in
/// registers. The input gradient is the same correlation of the stride-spread, padded output gradient with the
/// flipped kernel (a scalar scatter only for kernels over 1024 taps); the weight gradient loads each output-gradient
/// vector once for four taps' dot products.
/// Work is split by plane (forward: per (n, o); input gradient: per (n, c); weight gradient: per o; small planes
/// several to a task), so each output element is summed in a fixed order whatever the thread count. Stride-1 planes
/// under 8 columns wide go through the flattened layout of <c>ConvDepthwiseFlat.cs</c>.
/// </summary>
internal static unsafe partial class ConvDepthwise
{
    // x: (N, C, H, W), w: (O, 1, KH, KW), b: (O) or empty → y: (N, O, OH, OW).
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, ConvGeometry g)
    {
        Debug.Assert(g.IsDepthwise && w.Length == g.O * g.KH * g.KW);
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            nint xa = (nint)px, wa = (nint)pw, ba = (nint)pb, ya = (nint)py;
            bool hasBias = !b.IsEmpty;
            var width = Width;
            ForPlanes(g.N * g.O, (long)g.OH * g.OW * g.KH * g.KW, (t0, t1) =>
            {
                for (int t = t0; t < t1; t++)
                {
                    ForwardPlane(t, (float*)xa, (float*)wa, hasBias ? (float*)ba : null, (float*)ya, g, width);
                }
            });
        }
    }

    // gy: (N, O, OH, OW), w: (O, 1, KH, KW) → gx: (N, C, H, W), overwritten.
    public static void BackwardInput(ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx, ConvGeometry g)
    {
        fixed (float* pgy = gy, pw = w, pgx = gx)
        {
            nint gya = (nint)pgy, wa = (nint)pw, gxa = (nint)pgx;
            var width = Width;
            ForPlanes(g.N * g.C, (long)g.OH * g.OW * g.KH * g.KW * (g.O / g.C), (t0, t1) =>
            {
                for (int t = t0; t < t1; t++)
                {
                    BackwardInputPlane(t, (float*)gya, (float*)wa, (float*)gxa, g, width);
                }
            });
        }
    }

    // x: (N, C, H, W), gy: (N, O, OH, OW) → gw: (O, 1, KH, KW), overwritten; summed over n then oh in order.
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gw, ConvGeometry g)
    {
        fixed (float* px = x, pgy = gy, pgw = gw)
        {
            nint xa = (nint)px, gya = (nint)pgy, gwa = (nint)pgw;
            var width = Width;
            Parallelism.For(g.O, o => BackwardWeightChannel(o, (float*)xa, (float*)gya, (float*)gwa, g, width), 2L * g.N * g.OH * g.OW * g.KH * g.KW);
        }
    }

    /// <summary>Runs <paramref name="range"/>(first, end) over [0, <paramref name="planes"/>) cut into runs of
    /// consecutive planes, one run per task, long enough that a task does about 32 Ki multiply-adds (one 7×7 plane with a
    /// 7×7 kernel is 2.4 Ki, too little to pay for a task hand-out on its own). Planes are independent, so grouping
    /// them does not change any result. (The caller loops over its run itself: a delegate call per plane cost about
    /// 20 % on 7×7 planes.)</summary>
    private static void ForPlanes(int planes, long macsPerPlane, Action<int, int> range)
    {
        int per = (int)Math.Clamp((1L << 15) / Math.Max(1L, macsPerPlane), 1, 64);
        Parallelism.For((planes + per - 1) / per, i => range(i * per, Math.Min(planes, (i + 1) * per)), 2L * macsPerPlane * per);
    }

    // Per-task bodies: static and fully optimized (a lambda body would run as Tier-0 code for a while).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPlane(int t, float* x, float* w, float* b, float* y, ConvGeometry g, SimdWidth width)
    {
        int o = t % g.O, n = t / g.O, c = o / (g.O / g.C), kk = g.KH * g.KW;
        var pp = PadInput(x + ((nint)((n * g.C) + c) * g.H * g.W), g);
        CorrelatePlane(pp, w + ((nint)o * kk), y + ((nint)t * g.OH * g.OW), g.OH, g.OW, g, b == null ? 0f : b[o], accumulate: false, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInputPlane(int t, float* gy, float* w, float* gx, ConvGeometry g, SimdWidth width)
    {
        int n = t / g.C, c = t % g.C, hw = g.H * g.W, ohw = g.OH * g.OW, kk = g.KH * g.KW, mult = g.O / g.C;
        var gxp = new Span<float>(gx + ((nint)t * hw), hw);
        gxp.Clear();
        float* flipped = stackalloc float[Math.Min(kk, 1024)];
        for (int j = 0; j < mult; j++)
        {
            int o = (c * mult) + j;
            float* gyp = gy + ((nint)((n * g.O) + o) * ohw);
            float* wk = w + ((nint)o * kk);
            if (kk <= 1024)
            {
                // The input gradient is a stride-1 correlation of the stride-spread, padded output gradient with
                // the flipped kernel, which the vectorised forward loop computes (at stride s it multiplies s²−1
                // zeros per useful term, still far faster than a scalar scatter).
                for (int k = 0; k < kk; k++)
                {
                    flipped[k] = wk[kk - 1 - k];
                }

                CorrelatePlane(PadOutputGrad(gyp, g), flipped, gx + ((nint)t * hw), g.H, g.W, g with { Stride = (1, 1) }, 0f, accumulate: j > 0, width);
            }
            else
            {
                Scatter(new ReadOnlySpan<float>(gyp, ohw), new ReadOnlySpan<float>(wk, kk), gxp, g);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWeightChannel(int o, float* x, float* gy, float* gw, ConvGeometry g, SimdWidth width)
    {
        if (UseFlat(g.OW, g, width))
        {
            WeightChannelFlat(o, x, gy, gw, g, width);
            return;
        }

        int kk = g.KH * g.KW, c = o / (g.O / g.C);
        new Span<float>(gw + ((nint)o * kk), kk).Clear();
        for (int n = 0; n < g.N; n++)
        {
            var pp = PadInput(x + ((nint)((n * g.C) + c) * g.H * g.W), g);
            TapDots(pp, gy + ((nint)((n * g.O) + o) * g.OH * g.OW), gw + ((nint)o * kk), g, width);
        }
    }

    // gyp: (OH, OW), wk: (KH, KW) → gxp: (H, W) += the adjoint of the forward (any stride; scalar).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
}
