using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    [ThreadStatic]
    private static float[]? t_plane;

    /// <summary>
    /// A zero-padded copy of one plane split into <c>S</c> column phases: phase q holds padded columns q, q + S,
    /// q + 2S, … (each <c>PW</c> wide, <c>HP</c> rows), so that padded column ow·S + t is phase t mod S at index
    /// ow + t / S — contiguous in ow for any stride S.
    /// </summary>
    private readonly record struct Padded(nint P, int HP, int PW, int S)
    {
        public float* Row(int row, int t) => (float*)P + ((nint)row * PW) + Offset(t);

        /// <summary>Element offset of padded column t (phase t mod S, index t / S) from the start of its row in phase 0.</summary>
        public nint Offset(int t) => ((nint)(t % S) * HP * PW) + (t / S);
    }

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
                float* yp = (float*)ya + ((nint)t * ohw);
                var pp = PadInput((float*)xa + ((nint)((n * g.C) + c) * hw), g);
                CorrelatePlane(pp, (float*)wa + ((nint)o * kk), yp, g.OH, g.OW, g, hasBias ? ((float*)ba)[o] : 0f, accumulate: false);
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
                Span<float> flippedBuf = kk <= 1024 ? stackalloc float[kk] : new float[kk];
                for (int j = 0; j < mult; j++)
                {
                    int o = (c * mult) + j;
                    float* gyp = (float*)gya + ((nint)((n * g.O) + o) * ohw);
                    float* wk = (float*)wa + ((nint)o * kk);
                    if (g.Stride == (1, 1))
                    {
                        // Stride 1: the input gradient is a correlation of the padded output gradient with the
                        // flipped kernel, which the vectorised forward loop computes.
                        for (int k = 0; k < kk; k++)
                        {
                            flippedBuf[k] = wk[kk - 1 - k];
                        }

                        var pp = PadOutputGrad(gyp, g);
                        fixed (float* flipped = flippedBuf)
                        {
                            CorrelatePlane(pp, flipped, (float*)gxa + ((nint)t * hw), g.H, g.W, g, 0f, accumulate: j > 0);
                        }
                    }
                    else
                    {
                        Scatter(new ReadOnlySpan<float>(gyp, ohw), new ReadOnlySpan<float>(wk, kk), gxp, g);
                    }
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
                    var pp = PadInput((float*)xa + ((nint)((n * g.C) + (o / mult)) * hw), g);
                    TapDots(pp, (float*)gya + ((nint)((n * g.O) + o) * ohw), (float*)gwa + ((nint)o * kk), g);
                }
            }, 2L * g.N * ohw * kk);
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

    // One input plane (H, W) padded by (padH, padW) and split into stride-W phases.
    private static Padded PadInput(float* x, ConvGeometry g)
        => Pad(x, g.H, g.W, g.Padding.H, g.Padding.W, g.H + (2 * g.Padding.H), g.W + (2 * g.Padding.W), g.Stride.W);

    // One output-gradient plane (OH, OW) placed so that, for stride 1, gx[ih, iw] = Σ w[kh, kw] ·
    // P[ih + (KH−1−kh)·dH, iw + (KW−1−kw)·dW]: offset by (K−1)·d − pad (clipped when negative).
    private static Padded PadOutputGrad(float* gy, ConvGeometry g)
    {
        int th = ((g.KH - 1) * g.Dilation.H) - g.Padding.H, tw = ((g.KW - 1) * g.Dilation.W) - g.Padding.W;
        return Pad(gy, g.OH, g.OW, th, tw, g.H + ((g.KH - 1) * g.Dilation.H), g.W + ((g.KW - 1) * g.Dilation.W), 1);
    }

    // src (h, w) → thread-local (hp, wp) zero buffer with src[r, c] at (r + top, c + left) (clipped), in s phases.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Padded Pad(float* src, int h, int w, int top, int left, int hp, int wp, int s)
    {
        int pw = (wp + s - 1) / s;
        int n = s * hp * pw;
        if (t_plane is null || t_plane.Length < n)
        {
            t_plane = GC.AllocateUninitializedArray<float>(Math.Max(n, 4096), pinned: true);
        }

        float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_plane));
        new Span<float>(p, n).Clear();
        var pad = new Padded((nint)p, hp, pw, s);
        int c0 = Math.Max(0, -left), c1 = Math.Min(w, wp - left);
        for (int r = Math.Max(0, -top), r1 = Math.Min(h, hp - top); r < r1 && c0 < c1; r++)
        {
            float* sr = src + ((nint)r * w);
            if (s == 1)
            {
                Unsafe.CopyBlockUnaligned(p + ((nint)(r + top) * pw) + c0 + left, sr + c0, (uint)((c1 - c0) * sizeof(float)));
            }
            else
            {
                float* dr = (float*)pad.P + ((nint)(r + top) * pw);
                for (int c = c0, col = c0 + left, q = col % s, idx = col / s; c < c1; c++)
                {
                    dr[((nint)q * hp * pw) + idx] = sr[c];
                    if (++q == s)
                    {
                        q = 0;
                        idx++;
                    }
                }
            }
        }

        return pad;
    }

    // y: (oh_, ow_) = init (or, when accumulating, y) + Σ_{kh, kw} wk[kh, kw] · P[oh·sH + kh·dH, ow·sW + kw·dW]
    // (P padded and phase-split by sW). Lane layout: 8 consecutive ow per Vector256; four output rows at a time
    // so four independent FMA chains hide the FMA latency. A row's last partial vector is recomputed over the
    // final 8 columns (overlapping the previous vector, same values) unless accumulating, where a scalar tail
    // takes it. Every element sums its taps in (kh, kw) order with fused multiply-adds, on every path.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CorrelatePlane(Padded pp, float* wk, float* y, int oh_, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        int kw_ = g.KW;
        nint* col = stackalloc nint[kw_];
        for (int kw = 0; kw < kw_; kw++)
        {
            col[kw] = pp.Offset(kw * g.Dilation.W);
        }

        bool vec = Vector256.IsHardwareAccelerated && ow_ >= 8;
        for (int oh = 0; oh < oh_; oh += 4)
        {
            int rows = Math.Min(4, oh_ - oh);
            int ow = 0;
            if (vec)
            {
                while (ow < ow_)
                {
                    int o = ow;
                    if (o + 8 > ow_)
                    {
                        if (accumulate)
                        {
                            break;
                        }

                        o = ow_ - 8;
                    }

                    if (rows == 4)
                    {
                        Block4(pp, col, wk, y, oh, o, ow_, g, init, accumulate);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            Block1(pp, col, wk, y, oh + r, o, ow_, g, init, accumulate);
                        }
                    }

                    ow = o + 8;
                }
            }

            for (int r = 0; r < rows; r++)
            {
                float* yr = y + ((nint)(oh + r) * ow_);
                for (int c = ow; c < ow_; c++)
                {
                    float acc = accumulate ? yr[c] : init;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        float* pr = RowPtr(pp, oh + r, kh, g) + c;
                        for (int kw = 0; kw < kw_; kw++)
                        {
                            acc = MathF.FusedMultiplyAdd(wk[(kh * kw_) + kw], pr[col[kw]], acc);
                        }
                    }

                    yr[c] = acc;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* RowPtr(Padded pp, int oh, int kh, ConvGeometry g)
        => (float*)pp.P + ((nint)((oh * g.Stride.H) + (kh * g.Dilation.H)) * pp.PW);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4(Padded pp, nint* col, float* wk, float* y, int oh, int o, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        float* y0 = y + ((nint)oh * ow_) + o;
        nint ys = ow_;
        Vector256<float> a0, a1, a2, a3;
        if (accumulate)
        {
            (a0, a1, a2, a3) = (Vector256.Load(y0), Vector256.Load(y0 + ys), Vector256.Load(y0 + (2 * ys)), Vector256.Load(y0 + (3 * ys)));
        }
        else
        {
            a0 = a1 = a2 = a3 = Vector256.Create(init);
        }

        nint rs = (nint)g.Stride.H * pp.PW;
        for (int kh = 0; kh < g.KH; kh++)
        {
            float* r0 = RowPtr(pp, oh, kh, g) + o;
            float* wr = wk + (kh * g.KW);
            for (int kw = 0; kw < g.KW; kw++)
            {
                var w = Vector256.Create(wr[kw]);
                float* p = r0 + col[kw];
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + rs), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (2 * rs)), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (3 * rs)), a3);
            }
        }

        a0.Store(y0);
        a1.Store(y0 + ys);
        a2.Store(y0 + (2 * ys));
        a3.Store(y0 + (3 * ys));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1(Padded pp, nint* col, float* wk, float* y, int oh, int o, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        float* y0 = y + ((nint)oh * ow_) + o;
        var a = accumulate ? Vector256.Load(y0) : Vector256.Create(init);
        for (int kh = 0; kh < g.KH; kh++)
        {
            float* r0 = RowPtr(pp, oh, kh, g) + o;
            float* wr = wk + (kh * g.KW);
            for (int kw = 0; kw < g.KW; kw++)
            {
                a = Vector256.FusedMultiplyAdd(Vector256.Create(wr[kw]), Vector256.Load(r0 + col[kw]), a);
            }
        }

        a.Store(y0);
    }

    // gw: (KH, KW) += Σ_{oh, ow} gy[oh, ow] · P[oh·sH + kh·dH, ow·sW + kw·dW]: one dot product per tap. Row oh
    // accumulates into vector partial sum oh mod 4 (four independent chains); a row's last partial vector is
    // loaded over its final 8 columns with the already-counted lanes masked off; partials reduce in a fixed order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TapDots(Padded pp, float* gy, float* gw, ConvGeometry g)
    {
        int oh_ = g.OH, ow_ = g.OW;
        bool vec = Vector256.IsHardwareAccelerated && ow_ >= 8;
        int full = vec ? ow_ / 8 * 8 : 0;
        var tailMask = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(8 - (ow_ - full)));
        Span<Vector256<float>> acc = stackalloc Vector256<float>[4];
        for (int kh = 0; kh < g.KH; kh++)
        {
            for (int kw = 0; kw < g.KW; kw++)
            {
                acc.Clear();
                float tail = 0f;
                nint off = pp.Offset(kw * g.Dilation.W);
                for (int oh = 0; oh < oh_; oh++)
                {
                    float* pr = RowPtr(pp, oh, kh, g) + off;
                    float* gr = gy + ((nint)oh * ow_);
                    ref var a = ref acc[oh & 3];
                    if (vec)
                    {
                        for (int ow = 0; ow < full; ow += 8)
                        {
                            a = Vector256.FusedMultiplyAdd(Vector256.Load(gr + ow), Vector256.Load(pr + ow), a);
                        }

                        if (full < ow_)
                        {
                            var gv = Vector256.ConditionalSelect(tailMask.AsSingle(), Vector256.Load(gr + ow_ - 8), Vector256<float>.Zero);
                            a = Vector256.FusedMultiplyAdd(gv, Vector256.Load(pr + ow_ - 8), a);
                        }
                    }
                    else
                    {
                        for (int ow = 0; ow < ow_; ow++)
                        {
                            tail = MathF.FusedMultiplyAdd(gr[ow], pr[ow], tail);
                        }
                    }
                }

                gw[(kh * g.KW) + kw] += Vector256.Sum((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail;
            }
        }
    }
}
