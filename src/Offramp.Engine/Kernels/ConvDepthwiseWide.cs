using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The SIMD width of <see cref="ConvDepthwise"/> and its Vector512 output blocks: 16 consecutive output columns per
/// register, 8, 4 or 1 rows at a time. Each lane sums its taps in (kh, kw) order with fused multiply-adds exactly as
/// the Vector256 blocks and the scalar tail do, so forward and input-gradient results are bit-identical at every
/// width; <see cref="Force"/> lets tests pin a width.
/// </summary>
internal static unsafe partial class ConvDepthwise
{
    private static readonly AsyncLocal<SimdWidth?> s_forced = new();

    /// <summary>The widest width the hardware runs.</summary>
    public static SimdWidth Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.V512 : Vector256.IsHardwareAccelerated ? SimdWidth.V256 : SimdWidth.Scalar;

    /// <summary>The width used by calls from this async context: the forced one, else <see cref="Best"/>.</summary>
    public static SimdWidth Width => s_forced.Value is { } w && w < Best ? w : Best;

    /// <summary>Runs depthwise convolutions at most <paramref name="width"/> wide until the scope is disposed.</summary>
    public static WidthScope Force(SimdWidth width)
    {
        var previous = s_forced.Value;
        s_forced.Value = width;
        return new WidthScope(previous);
    }

    /// <summary>Restores the previous forced width.</summary>
    public readonly struct WidthScope(SimdWidth? previous) : IDisposable
    {
        public void Dispose() => s_forced.Value = previous;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8W(Padded pp, nint* col, float* wk, float* y, int oh, int o, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        float* y0 = y + ((nint)oh * ow_) + o;
        nint ys = ow_;
        Vector512<float> a0, a1, a2, a3, a4, a5, a6, a7;
        if (accumulate)
        {
            a0 = Vector512.Load(y0 + (0 * ys));
            a1 = Vector512.Load(y0 + (1 * ys));
            a2 = Vector512.Load(y0 + (2 * ys));
            a3 = Vector512.Load(y0 + (3 * ys));
            a4 = Vector512.Load(y0 + (4 * ys));
            a5 = Vector512.Load(y0 + (5 * ys));
            a6 = Vector512.Load(y0 + (6 * ys));
            a7 = Vector512.Load(y0 + (7 * ys));
        }
        else
        {
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector512.Create(init);
        }

        nint rs = (nint)g.Stride.H * pp.PW;
        for (int kh = 0; kh < g.KH; kh++)
        {
            float* r0 = RowPtr(pp, oh, kh, g) + o;
            float* wr = wk + (kh * g.KW);
            for (int kw = 0; kw < g.KW; kw++)
            {
                var w = Vector512.Create(wr[kw]);
                float* p = r0 + col[kw];
                a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (0 * rs)), a0);
                a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (1 * rs)), a1);
                a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (2 * rs)), a2);
                a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (3 * rs)), a3);
                a4 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (4 * rs)), a4);
                a5 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (5 * rs)), a5);
                a6 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (6 * rs)), a6);
                a7 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (7 * rs)), a7);
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
    private static void Block4W(Padded pp, nint* col, float* wk, float* y, int oh, int o, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        float* y0 = y + ((nint)oh * ow_) + o;
        nint ys = ow_;
        Vector512<float> a0, a1, a2, a3;
        if (accumulate)
        {
            (a0, a1, a2, a3) = (Vector512.Load(y0), Vector512.Load(y0 + ys), Vector512.Load(y0 + (2 * ys)), Vector512.Load(y0 + (3 * ys)));
        }
        else
        {
            a0 = a1 = a2 = a3 = Vector512.Create(init);
        }

        nint rs = (nint)g.Stride.H * pp.PW;
        for (int kh = 0; kh < g.KH; kh++)
        {
            float* r0 = RowPtr(pp, oh, kh, g) + o;
            float* wr = wk + (kh * g.KW);
            for (int kw = 0; kw < g.KW; kw++)
            {
                var w = Vector512.Create(wr[kw]);
                float* p = r0 + col[kw];
                a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p), a0);
                a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + rs), a1);
                a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (2 * rs)), a2);
                a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(p + (3 * rs)), a3);
            }
        }

        a0.Store(y0);
        a1.Store(y0 + ys);
        a2.Store(y0 + (2 * ys));
        a3.Store(y0 + (3 * ys));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1W(Padded pp, nint* col, float* wk, float* y, int oh, int o, int ow_, ConvGeometry g, float init, bool accumulate)
    {
        float* y0 = y + ((nint)oh * ow_) + o;
        var a = accumulate ? Vector512.Load(y0) : Vector512.Create(init);
        for (int kh = 0; kh < g.KH; kh++)
        {
            float* r0 = RowPtr(pp, oh, kh, g) + o;
            float* wr = wk + (kh * g.KW);
            for (int kw = 0; kw < g.KW; kw++)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Create(wr[kw]), Vector512.Load(r0 + col[kw]), a);
            }
        }

        a.Store(y0);
    }
}
