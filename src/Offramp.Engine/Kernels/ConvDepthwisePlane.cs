using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The plane-level loops of <see cref="ConvDepthwise"/>: zero-padded, stride-phase-split copies of a plane and the
/// vectorised correlation of a padded plane with one kernel.
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
        => Pad(x, g.H, g.W, g.Padding.H, g.Padding.W, g.H + (2 * g.Padding.H), g.W + (2 * g.Padding.W), g.Stride.W, FlatTail(g));

    // One output-gradient plane (OH, OW) spread by the stride and placed so that gx[ih, iw] = Σ w[kh, kw] ·
    // P[ih + (KH−1−kh)·dH, iw + (KW−1−kw)·dW] (a stride-1 correlation with the flipped kernel): gy[oh, ow] sits at
    // (oh·sH + th, ow·sW + tw) with t = (K−1)·d − pad (clipped when negative), zeros between.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Padded PadOutputGrad(float* gy, ConvGeometry g)
    {
        int th = ((g.KH - 1) * g.Dilation.H) - g.Padding.H, tw = ((g.KW - 1) * g.Dilation.W) - g.Padding.W;
        return Pad(gy, g.OH, g.OW, th, tw, g.H + ((g.KH - 1) * g.Dilation.H), g.W + ((g.KW - 1) * g.Dilation.W), 1, FlatTail(g),
            g.Stride.H, g.Stride.W);
    }

    // src (h, w) → thread-local (hp, wp) zero buffer with src[r, c] at (r·spreadH + top, c·spreadW + left)
    // (clipped), in s column phases (s > 1 only with spreadW == 1), followed by `tail` zeros.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Padded Pad(float* src, int h, int w, int top, int left, int hp, int wp, int s, int tail, int spreadH = 1, int spreadW = 1)
    {
        Debug.Assert(s == 1 || spreadW == 1);
        int pw = (wp + s - 1) / s;
        int n = (s * hp * pw) + tail;
        if (t_plane is null || t_plane.Length < n)
        {
            t_plane = GC.AllocateUninitializedArray<float>(Math.Max(n, 4096), pinned: true);
        }

        float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_plane));
        new Span<float>(p, n).Clear();
        var pad = new Padded((nint)p, hp, pw, s);
        var (c0, c1) = ConvGeometry.ValidRange(w, wp, spreadW, left);
        var (r0, r1) = ConvGeometry.ValidRange(h, hp, spreadH, top);
        for (int r = r0; r < r1 && c0 < c1; r++)
        {
            float* sr = src + ((nint)r * w);
            float* dr = p + ((nint)((r * spreadH) + top) * pw);
            if (s == 1 && spreadW == 1)
            {
                Unsafe.CopyBlockUnaligned(dr + c0 + left, sr + c0, (uint)((c1 - c0) * sizeof(float)));
            }
            else if (s == 1)
            {
                for (int c = c0; c < c1; c++)
                {
                    dr[(c * spreadW) + left] = sr[c];
                }
            }
            else if (s == 2)
            {
                SplitPhases2(sr, dr, dr + ((nint)hp * pw), c0, c1, left);
            }
            else
            {
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

    // Columns [c0, c1) of one source row to padded columns c + left split in two phases: even padded columns
    // to d0[col / 2], odd ones to d1[col / 2]. With AVX-512, 16 source columns at a time are permuted into
    // 8 even | 8 odd lanes and stored as two halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitPhases2(float* sr, float* d0, float* d1, int c0, int c1, int left)
    {
        int c = c0;
        if (((c + left) & 1) != 0 && c < c1)
        {
            d1[(c + left) >> 1] = sr[c];
            c++;
        }

        if (Avx512F.IsSupported)
        {
            var idx = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
            for (; c + 16 <= c1; c += 16)
            {
                var v = Avx512F.PermuteVar16x32(Vector512.Load(sr + c), idx);
                int j = (c + left) >> 1;
                v.GetLower().Store(d0 + j);
                v.GetUpper().Store(d1 + j);
            }
        }

        for (; c < c1; c++)
        {
            int col = c + left;
            ((col & 1) == 0 ? d0 : d1)[col >> 1] = sr[c];
        }
    }

    // y: (oh_, ow_) = init (or, when accumulating, y) + Σ_{kh, kw} wk[kh, kw] · P[oh·sH + kh·dH, ow·sW + kw·dW]
    // (P padded and phase-split by sW). Lane layout: 8 consecutive ow per Vector256; four output rows at a time
    // so four independent FMA chains hide the FMA latency. A row's last partial vector is recomputed over the
    // final 8 columns (overlapping the previous vector, same values) unless accumulating, where a scalar tail
    // takes it. Every element sums its taps in (kh, kw) order with fused multiply-adds, on every path.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CorrelatePlane(Padded pp, float* wk, float* y, int oh_, int ow_, ConvGeometry g, float init, bool accumulate, SimdWidth width)
    {
        if (UseFlat(ow_, g, width))
        {
            CorrelateFlat(pp, wk, y, oh_, ow_, g, init, accumulate, width);
            return;
        }

        int kw_ = g.KW;
        nint* col = stackalloc nint[kw_];
        for (int kw = 0; kw < kw_; kw++)
        {
            col[kw] = pp.Offset(kw * g.Dilation.W);
        }

        bool vec = width >= SimdWidth.V256 && Vector256.IsHardwareAccelerated && ow_ >= 8;
        bool wide = width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated && ow_ >= 16;
        for (int oh = 0, rows; oh < oh_; oh += rows)
        {
            rows = !vec ? oh_ - oh : oh_ - oh >= 8 ? 8 : oh_ - oh >= 4 ? 4 : 1;
            int ow = 0;
            if (vec)
            {
                while (ow < ow_)
                {
                    if (wide && (ow_ - ow >= 16 || (!accumulate && ow_ - ow > 8)))
                    {
                        int ow16 = Math.Min(ow, ow_ - 16);
                        if (rows == 8)
                        {
                            Block8W(pp, col, wk, y, oh, ow16, ow_, g, init, accumulate);
                        }
                        else if (rows == 4)
                        {
                            Block4W(pp, col, wk, y, oh, ow16, ow_, g, init, accumulate);
                        }
                        else
                        {
                            Block1W(pp, col, wk, y, oh, ow16, ow_, g, init, accumulate);
                        }

                        ow = ow16 + 16;
                        continue;
                    }

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
}
