using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The plane-level loops of <see cref="ConvDepthwise"/>: zero-padded, stride-phase-split copies of a plane, the
/// vectorised correlation of a padded plane with one kernel, and the per-tap dot products of the weight gradient.
/// </summary>
internal static unsafe partial class ConvDepthwise
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

    // One input plane (H, W) padded by (padH, padW) and split into stride-W phases.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Padded PadInput(float* x, ConvGeometry g)
        => Pad(x, g.H, g.W, g.Padding.H, g.Padding.W, g.H + (2 * g.Padding.H), g.W + (2 * g.Padding.W), g.Stride.W);

    // One output-gradient plane (OH, OW) placed so that, for stride 1, gx[ih, iw] = Σ w[kh, kw] ·
    // P[ih + (KH−1−kh)·dH, iw + (KW−1−kw)·dW]: offset by (K−1)·d − pad (clipped when negative).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
        for (int oh = 0, rows; oh < oh_; oh += rows)
        {
            rows = !vec ? oh_ - oh : oh_ - oh >= 8 ? 8 : oh_ - oh >= 4 ? 4 : 1;
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

                    if (rows == 8)
                    {
                        Block8(pp, col, wk, y, oh, o, ow_, g, init, accumulate);
                    }
                    else if (rows == 4)
                    {
                        Block4(pp, col, wk, y, oh, o, ow_, g, init, accumulate);
                    }
                    else
                    {
                        Block1(pp, col, wk, y, oh, o, ow_, g, init, accumulate);
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

    // Eight output rows × 8 columns: eight independent FMA chains (Block4 with twice the rows).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(Padded pp, nint* col, float* wk, float* y, int oh, int o, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        float* y0 = y + ((nint)oh * ow_) + o;
        nint ys = ow_;
        Vector256<float> a0, a1, a2, a3, a4, a5, a6, a7;
        if (accumulate)
        {
            a0 = Vector256.Load(y0 + (0 * ys));
            a1 = Vector256.Load(y0 + (1 * ys));
            a2 = Vector256.Load(y0 + (2 * ys));
            a3 = Vector256.Load(y0 + (3 * ys));
            a4 = Vector256.Load(y0 + (4 * ys));
            a5 = Vector256.Load(y0 + (5 * ys));
            a6 = Vector256.Load(y0 + (6 * ys));
            a7 = Vector256.Load(y0 + (7 * ys));
        }
        else
        {
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector256.Create(init);
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
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (0 * rs)), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (1 * rs)), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (2 * rs)), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (3 * rs)), a3);
                a4 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (4 * rs)), a4);
                a5 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (5 * rs)), a5);
                a6 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (6 * rs)), a6);
                a7 = Vector256.FusedMultiplyAdd(w, Vector256.Load(p + (7 * rs)), a7);
            }
        }

        a0.Store(y0 + (0 * ys));
        a1.Store(y0 + (1 * ys));
        a2.Store(y0 + (2 * ys));
        a3.Store(y0 + (3 * ys));
        a4.Store(y0 + (4 * ys));
        a5.Store(y0 + (5 * ys));
        a6.Store(y0 + (6 * ys));
        a7.Store(y0 + (7 * ys));
    }

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
