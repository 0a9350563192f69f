using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Stride-1 planes narrower than a Vector256 (the Dynamic Perceiver's 7×7 maps on Fashion-MNIST, MobileNetV3's last
/// stage at 224²): output (oh, ow) is element oh·PW + ow of a flattened output with the padded plane's row pitch PW,
/// and tap (kh, kw) reads element q + kh·dH·PW + kw·dW of the padded plane, so whole rows of the padded pitch go
/// through full vectors at once (eight accumulators per block); the PW − OW wrapped columns per row are computed and
/// dropped. Each output element still sums its taps in (kh, kw) order with fused multiply-adds from the same start
/// value, so the forward and the input gradient are bit-identical to the scalar loop these planes took before; the
/// weight gradient sums in another order, fixed by the sizes alone (not by the thread count). The Vector512 and
/// Vector256 blocks are twins by width, as in the other depth-wise blocks.
/// </summary>
internal static unsafe partial class ConvDepthwise
{
    /// <summary>Accumulator vectors per flat block (eight FMA chains cover the FMA latency at two per cycle).</summary>
    private const int FlatBlock = 8;

    [ThreadStatic]
    private static float[]? t_flat;

    /// <summary>Whether a plane takes the flat path: stride 1, fewer output columns than a Vector256, and at most 256
    /// taps (the weight gradient keeps a vector of partials per tap on the stack).</summary>
    private static bool UseFlat(int ow_, ConvGeometry g, SimdWidth width)
        => ow_ < 8 && g.Stride == (1, 1) && g.KH * g.KW <= 256 && width >= SimdWidth.V256 && Vector256.IsHardwareAccelerated;

    private static int FlatLanes(SimdWidth width) => width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated ? 16 : 8;

    /// <summary>Zero floats a padded plane needs after its last row for the flat path's reads past it.</summary>
    private static int FlatTail(ConvGeometry g) => (FlatBlock * 16) + (g.KW * g.Dilation.W);

    // A thread-local scratch of n floats (not cleared).
    private static float* FlatScratch(int n) => Im2ColPanels.Buffer(ref t_flat, n);

    // Element offset of tap (kh, kw) from an output's position on the flat layout of pitch pw.
    private static nint FlatOffset(int kh, int kw, int pw, ConvGeometry g)
        => ((nint)kh * g.Dilation.H * pw) + (kw * g.Dilation.W);

    // y: (oh_, ow_) = init (or y) + Σ_{kh, kw} wk[kh, kw] · P[oh + kh·dH, ow + kw·dW], P padded with pitch PW and
    // FlatTail(g) zeros after its rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CorrelateFlat(Padded pp, float* wk, float* y, int oh_, int ow_, ConvGeometry g, float init, bool accumulate, SimdWidth width)
    {
        int pw = pp.PW, kk = g.KH * g.KW, lanes = FlatLanes(width);
        int len = oh_ * pw, span = FlatBlock * lanes, total = (len + span - 1) / span * span;
        float* acc = FlatScratch(total);
        new Span<float>(acc, total).Fill(init);
        if (accumulate)
        {
            for (int oh = 0; oh < oh_; oh++)
            {
                Unsafe.CopyBlockUnaligned(acc + ((nint)oh * pw), y + ((nint)oh * ow_), (uint)(ow_ * sizeof(float)));
            }
        }

        nint* off = stackalloc nint[kk];
        for (int kh = 0; kh < g.KH; kh++)
        {
            for (int kw = 0; kw < g.KW; kw++)
            {
                off[(kh * g.KW) + kw] = FlatOffset(kh, kw, pw, g);
            }
        }

        float* p0 = (float*)pp.P;
        for (int q = 0; q < total; q += span)
        {
            if (lanes == 16)
            {
                FlatBlock512(p0 + q, off, wk, kk, acc + q);
            }
            else
            {
                FlatBlock256(p0 + q, off, wk, kk, acc + q);
            }
        }

        for (int oh = 0; oh < oh_; oh++)
        {
            Unsafe.CopyBlockUnaligned(y + ((nint)oh * ow_), acc + ((nint)oh * pw), (uint)(ow_ * sizeof(float)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlatBlock512(float* p, nint* off, float* wk, int kk, float* acc)
    {
        var a0 = Vector512.Load(acc);
        var a1 = Vector512.Load(acc + 16);
        var a2 = Vector512.Load(acc + 32);
        var a3 = Vector512.Load(acc + 48);
        var a4 = Vector512.Load(acc + 64);
        var a5 = Vector512.Load(acc + 80);
        var a6 = Vector512.Load(acc + 96);
        var a7 = Vector512.Load(acc + 112);
        for (int t = 0; t < kk; t++)
        {
            var w = Vector512.Create(wk[t]);
            float* s = p + off[t];
            a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s), a0);
            a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 48), a3);
            a4 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 64), a4);
            a5 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 80), a5);
            a6 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 96), a6);
            a7 = Vector512.FusedMultiplyAdd(w, Vector512.Load(s + 112), a7);
        }

        a0.Store(acc);
        a1.Store(acc + 16);
        a2.Store(acc + 32);
        a3.Store(acc + 48);
        a4.Store(acc + 64);
        a5.Store(acc + 80);
        a6.Store(acc + 96);
        a7.Store(acc + 112);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlatBlock256(float* p, nint* off, float* wk, int kk, float* acc)
    {
        var a0 = Vector256.Load(acc);
        var a1 = Vector256.Load(acc + 8);
        var a2 = Vector256.Load(acc + 16);
        var a3 = Vector256.Load(acc + 24);
        var a4 = Vector256.Load(acc + 32);
        var a5 = Vector256.Load(acc + 40);
        var a6 = Vector256.Load(acc + 48);
        var a7 = Vector256.Load(acc + 56);
        for (int t = 0; t < kk; t++)
        {
            var w = Vector256.Create(wk[t]);
            float* s = p + off[t];
            a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s), a0);
            a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 8), a1);
            a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 16), a2);
            a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 24), a3);
            a4 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 32), a4);
            a5 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 40), a5);
            a6 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 48), a6);
            a7 = Vector256.FusedMultiplyAdd(w, Vector256.Load(s + 56), a7);
        }

        a0.Store(acc);
        a1.Store(acc + 8);
        a2.Store(acc + 16);
        a3.Store(acc + 24);
        a4.Store(acc + 32);
        a5.Store(acc + 40);
        a6.Store(acc + 48);
        a7.Store(acc + 56);
    }

    // The weight gradient of channel o on the flat layout: gw[kh, kw] = Σ_n Σ_{oh, ow} gy[n, oh, ow] ·
    // P_n[oh + kh·dH, ow + kw·dW]. Each image's gy plane is spread to the padded pitch with zeros in the wrapped
    // columns, and each tap is one dot product over the flattened rows, eight taps per pass so that each gy vector
    // is loaded once for eight accumulators; the per-lane partials of every tap carry over all images in a vector
    // scratch and reduce once at the end, in a fixed order. (As on the wider path's masked tail, a wrapped column
    // multiplies a zero gradient by a real input value, so an infinite input there gives NaN where the exact sum
    // has no such term.)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightChannelFlat(int o, float* x, float* gy, float* gw, ConvGeometry g, SimdWidth width)
    {
        int kk = g.KH * g.KW, c = o / (g.O / g.C), lanes = FlatLanes(width), ohw = g.OH * g.OW;
        int taps = (kk + FlatBlock - 1) / FlatBlock * FlatBlock;
        float* part = stackalloc float[taps * lanes];
        new Span<float>(part, taps * lanes).Clear();
        nint* off = stackalloc nint[taps];
        for (int t = 0; t < taps; t++)
        {
            // Missing taps of the last group re-read tap 0; their sums are discarded.
            int u = t < kk ? t : 0;
            off[t] = FlatOffset(u / g.KW, u % g.KW, g.W + (2 * g.Padding.W), g);
        }

        for (int n = 0; n < g.N; n++)
        {
            var pp = PadInput(x + ((nint)((n * g.C) + c) * g.H * g.W), g);
            int pw = pp.PW, len = g.OH * pw, total = (len + lanes - 1) / lanes * lanes;
            float* gs = FlatScratch(total);
            new Span<float>(gs, total).Clear();
            float* gyp = gy + ((nint)((n * g.O) + o) * ohw);
            for (int oh = 0; oh < g.OH; oh++)
            {
                Unsafe.CopyBlockUnaligned(gs + ((nint)oh * pw), gyp + ((nint)oh * g.OW), (uint)(g.OW * sizeof(float)));
            }

            for (int t0 = 0; t0 < taps; t0 += FlatBlock)
            {
                if (lanes == 16)
                {
                    FlatDots512((float*)pp.P, gs, off + t0, total, part + (t0 * 16));
                }
                else
                {
                    FlatDots256((float*)pp.P, gs, off + t0, total, part + (t0 * 8));
                }
            }
        }

        for (int t = 0; t < kk; t++)
        {
            gw[((nint)o * kk) + t] = lanes == 16 ? Vector512.Sum(Vector512.Load(part + (t * 16))) : Vector256.Sum(Vector256.Load(part + (t * 8)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlatDots512(float* p, float* gs, nint* off, int total, float* part)
    {
        var a0 = Vector512.Load(part);
        var a1 = Vector512.Load(part + 16);
        var a2 = Vector512.Load(part + 32);
        var a3 = Vector512.Load(part + 48);
        var a4 = Vector512.Load(part + 64);
        var a5 = Vector512.Load(part + 80);
        var a6 = Vector512.Load(part + 96);
        var a7 = Vector512.Load(part + 112);
        nint o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5], o6 = off[6], o7 = off[7];
        for (int q = 0; q < total; q += 16)
        {
            var gv = Vector512.Load(gs + q);
            float* s = p + q;
            a0 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o0), a0);
            a1 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o1), a1);
            a2 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o2), a2);
            a3 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o3), a3);
            a4 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o4), a4);
            a5 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o5), a5);
            a6 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o6), a6);
            a7 = Vector512.FusedMultiplyAdd(gv, Vector512.Load(s + o7), a7);
        }

        a0.Store(part);
        a1.Store(part + 16);
        a2.Store(part + 32);
        a3.Store(part + 48);
        a4.Store(part + 64);
        a5.Store(part + 80);
        a6.Store(part + 96);
        a7.Store(part + 112);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlatDots256(float* p, float* gs, nint* off, int total, float* part)
    {
        var a0 = Vector256.Load(part);
        var a1 = Vector256.Load(part + 8);
        var a2 = Vector256.Load(part + 16);
        var a3 = Vector256.Load(part + 24);
        var a4 = Vector256.Load(part + 32);
        var a5 = Vector256.Load(part + 40);
        var a6 = Vector256.Load(part + 48);
        var a7 = Vector256.Load(part + 56);
        nint o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5], o6 = off[6], o7 = off[7];
        for (int q = 0; q < total; q += 8)
        {
            var gv = Vector256.Load(gs + q);
            float* s = p + q;
            a0 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o0), a0);
            a1 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o1), a1);
            a2 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o2), a2);
            a3 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o3), a3);
            a4 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o4), a4);
            a5 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o5), a5);
            a6 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o6), a6);
            a7 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(s + o7), a7);
        }

        a0.Store(part);
        a1.Store(part + 8);
        a2.Store(part + 16);
        a3.Store(part + 24);
        a4.Store(part + 32);
        a5.Store(part + 40);
        a6.Store(part + 48);
        a7.Store(part + 56);
    }
}
