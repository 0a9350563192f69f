using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>The weight-gradient loop of <see cref="ConvDepthwise"/>: per-tap dot products of a padded plane with the output gradient.</summary>
internal static unsafe partial class ConvDepthwise
{
    // gw: (KH, KW) += Σ_{oh, ow} gy[oh, ow] · P[oh·sH + kh·dH, ow·sW + kw·dW]: per kernel row kh, taps go in
    // groups of up to four; each 8-column vector of gy is loaded once and multiplied into the group's four
    // independent accumulators (lane j holds the columns ≡ j mod 8; a row's last partial vector is loaded over its
    // final 8 columns with the already-counted lanes masked off). Partials reduce in a fixed order, so the result
    // does not depend on the thread count. Stride-1 planes under 8 columns take WeightChannelFlat instead; without Vector256 (or OW < 8), a scalar loop sums each tap in (oh, ow) order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TapDots(Padded pp, float* gy, float* gw, ConvGeometry g, SimdWidth width)
    {
        int oh_ = g.OH, ow_ = g.OW;
        if (width < SimdWidth.V256 || !Vector256.IsHardwareAccelerated || ow_ < 8)
        {
            for (int kh = 0; kh < g.KH; kh++)
            {
                for (int kw = 0; kw < g.KW; kw++)
                {
                    float s = 0f;
                    nint off = pp.Offset(kw * g.Dilation.W);
                    for (int oh = 0; oh < oh_; oh++)
                    {
                        float* pr = RowPtr(pp, oh, kh, g) + off;
                        float* gr = gy + ((nint)oh * ow_);
                        for (int ow = 0; ow < ow_; ow++)
                        {
                            s = MathF.FusedMultiplyAdd(gr[ow], pr[ow], s);
                        }
                    }

                    gw[(kh * g.KW) + kw] += s;
                }
            }

            return;
        }

        int full = ow_ / 8 * 8;
        var tailMask = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(8 - (ow_ - full))).AsSingle();
        for (int kh = 0; kh < g.KH; kh++)
        {
            for (int kw0 = 0; kw0 < g.KW; kw0 += 4)
            {
                int nt = Math.Min(4, g.KW - kw0);

                // Missing taps of a short group re-read the group's first column; their sums are discarded.
                nint c0 = pp.Offset(kw0 * g.Dilation.W);
                nint c1 = nt > 1 ? pp.Offset((kw0 + 1) * g.Dilation.W) : c0;
                nint c2 = nt > 2 ? pp.Offset((kw0 + 2) * g.Dilation.W) : c0;
                nint c3 = nt > 3 ? pp.Offset((kw0 + 3) * g.Dilation.W) : c0;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int oh = 0; oh < oh_; oh++)
                {
                    float* pr = RowPtr(pp, oh, kh, g);
                    float* gr = gy + ((nint)oh * ow_);
                    for (int ow = 0; ow < full; ow += 8)
                    {
                        var gv = Vector256.Load(gr + ow);
                        float* p = pr + ow;
                        a0 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c0), a0);
                        a1 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c1), a1);
                        a2 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c2), a2);
                        a3 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c3), a3);
                    }

                    if (full < ow_)
                    {
                        var gv = Vector256.ConditionalSelect(tailMask, Vector256.Load(gr + ow_ - 8), Vector256<float>.Zero);
                        float* p = pr + ow_ - 8;
                        a0 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c0), a0);
                        a1 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c1), a1);
                        a2 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c2), a2);
                        a3 = Vector256.FusedMultiplyAdd(gv, Vector256.Load(p + c3), a3);
                    }
                }

                float* gk = gw + (kh * g.KW) + kw0;
                gk[0] += Vector256.Sum(a0);
                if (nt > 1)
                {
                    gk[1] += Vector256.Sum(a1);
                }

                if (nt > 2)
                {
                    gk[2] += Vector256.Sum(a2);
                }

                if (nt > 3)
                {
                    gk[3] += Vector256.Sum(a3);
                }
            }
        }
    }
}
