using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The float32 forward of <see cref="Attention.Forward{T}(ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, int, ReadOnlySpan{T}, Span{T}, Span{T}, int, int, int, int, int, T)"/>
/// for head widths that are multiples of 16, with AVX-512 register blocking instead of two calls of the general GEMM.
/// A transformer head is small (tens of tokens, D = 32…64), so the GEMM's packing of both operands, its k blocking
/// and its edge tiles cost as much as the arithmetic; here Kᵀ is copied once into a zero-padded (D, Lk16) panel
/// (Lk16 = Lk rounded up to 16, stored in 64- and 16-column blocks) that stays in L1 for these sizes, Q is read in place (one broadcast per element), and V's rows are
/// read in place too, as P·V's B operand needs no packing when Dv is a multiple of 16.
/// </summary>
/// <remarks>
/// Tiles are 4 query rows × 64 columns (16 accumulators), with 4 × 16 and 1-row tails. The two products' 4 × 64 tiles
/// are written out in full, not shared through a helper: 16 accumulators only stay in registers as locals. Each score is summed over
/// d = 0..D−1 in order and each output over j = 0..Lk−1 in order: the results depend on the shapes alone, never on
/// the thread count. Same function as <see cref="Attention"/>'s general path, up to float rounding (tests compare
/// both with the float64 reference, <c>Reference.AttentionReference</c>).
/// </remarks>
internal static unsafe class AttentionAvx512
{
    /// <summary>True when this kernel serves heads of width <paramref name="d"/> and value width
    /// <paramref name="dv"/> on this CPU.</summary>
    public static bool Applies(int d, int dv) =>
        Avx512F.IsSupported && !s_disabled.Value && d % 16 == 0 && dv % 16 == 0 && d > 0 && dv > 0;

    private static readonly AsyncLocal<bool> s_disabled = new();

    /// <summary>Sends attention in this async flow down the general GEMM path until the scope is disposed (tests
    /// and benchmarks compare the two).</summary>
    public static Scope Disable()
    {
        bool previous = s_disabled.Value;
        s_disabled.Value = true;
        return new Scope(previous);
    }

    /// <summary>Restores the previous setting.</summary>
    public readonly struct Scope(bool previous) : IDisposable
    {
        public void Dispose() => s_disabled.Value = previous;
    }

    // Same contract as Attention.Forward (float).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk, ReadOnlySpan<float> v,
        int ldv, ReadOnlySpan<float> bias, int biasOffset, int biasRowStride, int biasColStride, ReadOnlySpan<float> mask,
        Span<float> p, Span<float> o, int ldo, int lq, int lk, int d, int dv, float scale)
    {
        int lk16 = (lk + 15) & ~15;
        float[] kt = ArrayPool<float>.Shared.Rent((d * lk16) + (4 * lk16));
        float[]? pm = mask.IsEmpty ? null : ArrayPool<float>.Shared.Rent(lq * lk);
        try
        {
            fixed (float* pq = q, pk = k, pv = v, pp = p, po = o, pkt = kt)
            {
                // Kᵀ panel in column blocks (64 wide, then 16 wide for the rest): column j of block j0 (width w) and
                // row c at kt[j0·d + c·w + (j − j0)]; zero for j ≥ lk. Blocks keep the tiles' loads 256 or 64 bytes
                // apart (a dense (D, Lk) panel puts them Lk·4 bytes apart: with Lk = 1024 every row of a tile would fall
                // in one L1 set).
                for (int j = 0; j < lk16; j++)
                {
                    float* col = Column(pkt, j, lk16, d, out int w);
                    if (j < lk)
                    {
                        float* kr = pk + (j * (nint)ldk);
                        for (int c = 0; c < d; c++)
                        {
                            col[c * w] = kr[c];
                        }
                    }
                    else
                    {
                        for (int c = 0; c < d; c++)
                        {
                            col[c * w] = 0;
                        }
                    }
                }

                // Scores, 4 rows at a time into a (4, lk16) scratch after the panel, then bias and softmax into P.
                float* s = pkt + (d * lk16);
                for (int i0 = 0; i0 < lq; i0 += 4)
                {
                    int rows = Math.Min(4, lq - i0);
                    Scores(pq + (i0 * (nint)ldq), ldq, rows, pkt, lk16, d, s, scale);
                    for (int r = 0; r < rows; r++)
                    {
                        int i = i0 + r;
                        float* si = s + (r * lk16);
                        if (!bias.IsEmpty)
                        {
                            Attention.AddBiasRow(new Span<float>(si, lk), bias, biasOffset + (i * biasRowStride), biasColStride);
                        }

                        SoftmaxRow(si, lk, lk16, pp + (i * (nint)lk));
                    }
                }

                if (pm is not null)
                {
                    TensorPrimitives.Multiply(p[..(lq * lk)], mask[..(lq * lk)], pm.AsSpan(0, lq * lk));
                    fixed (float* ppm = pm)
                    {
                        Values(ppm, lk, lq, pv, ldv, dv, po, ldo);
                    }
                }
                else
                {
                    Values(pp, lk, lq, pv, ldv, dv, po, ldo);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(kt);
            if (pm is not null)
            {
                ArrayPool<float>.Shared.Return(pm);
            }
        }
    }

    // s[r, 0..lk16) = scale · Σ_c q[r, c]·kt[c, ·] for r < rows (≤ 4); q rows ldq apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float* q, int ldq, int rows, float* kt, int lk16, int d, float* s, float scale)
    {
        var sc = Vector512.Create(scale);
        int j = 0;
        if (rows == 4)
        {
            float* q0 = q, q1 = q + ldq, q2 = q + (2 * (nint)ldq), q3 = q + (3 * (nint)ldq);
            for (; j + 64 <= lk16; j += 64)
            {
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                float* b = kt + (j * (nint)d);
                for (int c = 0; c < d; c++, b += 64)
                {
                    var b0 = Vector512.Load(b);
                    var b1 = Vector512.Load(b + 16);
                    var b2 = Vector512.Load(b + 32);
                    var b3 = Vector512.Load(b + 48);
                    var x = Vector512.Create(q0[c]);
                    a00 = Avx512F.FusedMultiplyAdd(x, b0, a00);
                    a01 = Avx512F.FusedMultiplyAdd(x, b1, a01);
                    a02 = Avx512F.FusedMultiplyAdd(x, b2, a02);
                    a03 = Avx512F.FusedMultiplyAdd(x, b3, a03);
                    x = Vector512.Create(q1[c]);
                    a10 = Avx512F.FusedMultiplyAdd(x, b0, a10);
                    a11 = Avx512F.FusedMultiplyAdd(x, b1, a11);
                    a12 = Avx512F.FusedMultiplyAdd(x, b2, a12);
                    a13 = Avx512F.FusedMultiplyAdd(x, b3, a13);
                    x = Vector512.Create(q2[c]);
                    a20 = Avx512F.FusedMultiplyAdd(x, b0, a20);
                    a21 = Avx512F.FusedMultiplyAdd(x, b1, a21);
                    a22 = Avx512F.FusedMultiplyAdd(x, b2, a22);
                    a23 = Avx512F.FusedMultiplyAdd(x, b3, a23);
                    x = Vector512.Create(q3[c]);
                    a30 = Avx512F.FusedMultiplyAdd(x, b0, a30);
                    a31 = Avx512F.FusedMultiplyAdd(x, b1, a31);
                    a32 = Avx512F.FusedMultiplyAdd(x, b2, a32);
                    a33 = Avx512F.FusedMultiplyAdd(x, b3, a33);
                }

                float* o = s + j;
                (a00 * sc).Store(o);
                (a01 * sc).Store(o + 16);
                (a02 * sc).Store(o + 32);
                (a03 * sc).Store(o + 48);
                o += lk16;
                (a10 * sc).Store(o);
                (a11 * sc).Store(o + 16);
                (a12 * sc).Store(o + 32);
                (a13 * sc).Store(o + 48);
                o += lk16;
                (a20 * sc).Store(o);
                (a21 * sc).Store(o + 16);
                (a22 * sc).Store(o + 32);
                (a23 * sc).Store(o + 48);
                o += lk16;
                (a30 * sc).Store(o);
                (a31 * sc).Store(o + 16);
                (a32 * sc).Store(o + 32);
                (a33 * sc).Store(o + 48);
            }

            for (; j < lk16; j += 16)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* b = kt + (j * (nint)d);
                for (int c = 0; c < d; c++, b += 16)
                {
                    var bv = Vector512.Load(b);
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(q0[c]), bv, a0);
                    a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(q1[c]), bv, a1);
                    a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(q2[c]), bv, a2);
                    a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(q3[c]), bv, a3);
                }

                (a0 * sc).Store(s + j);
                (a1 * sc).Store(s + lk16 + j);
                (a2 * sc).Store(s + (2 * lk16) + j);
                (a3 * sc).Store(s + (3 * lk16) + j);
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            float* qr = q + (r * (nint)ldq);
            for (j = 0; j < lk16; j += 16)
            {
                Vector512<float> a = default;
                float* b = Column(kt, j, lk16, d, out int w);
                for (int c = 0; c < d; c++, b += w)
                {
                    a = Avx512F.FusedMultiplyAdd(Vector512.Create(qr[c]), Vector512.Load(b), a);
                }

                (a * sc).Store(s + (r * lk16) + j);
            }
        }
    }

    // Column j's row 0 in the blocked Kᵀ panel, and its block's width (the row stride).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Column(float* kt, int j, int lk16, int d, out int width)
    {
        int j64 = lk16 & ~63;
        if (j < j64)
        {
            width = 64;
            return kt + ((j & ~63) * (nint)d) + (j & 63);
        }

        width = 16;
        return kt + ((j & ~15) * (nint)d) + (j & 15);
    }

    // o[i, 0..dv) = Σ_j w[i, j]·v[j, ·] for i < lq; w dense (lq, lk), v rows ldv apart, o rows ldo apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Values(float* w, int lk, int lq, float* v, int ldv, int dv, float* o, int ldo)
    {
        int i = 0;
        for (; i + 4 <= lq; i += 4)
        {
            float* w0 = w + (i * (nint)lk), w1 = w0 + lk, w2 = w1 + lk, w3 = w2 + lk;
            float* or0 = o + (i * (nint)ldo);
            int c = 0;
            for (; c + 64 <= dv; c += 64)
            {
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                float* b = v + c;
                for (int j = 0; j < lk; j++, b += ldv)
                {
                    var b0 = Vector512.Load(b);
                    var b1 = Vector512.Load(b + 16);
                    var b2 = Vector512.Load(b + 32);
                    var b3 = Vector512.Load(b + 48);
                    var x = Vector512.Create(w0[j]);
                    a00 = Avx512F.FusedMultiplyAdd(x, b0, a00);
                    a01 = Avx512F.FusedMultiplyAdd(x, b1, a01);
                    a02 = Avx512F.FusedMultiplyAdd(x, b2, a02);
                    a03 = Avx512F.FusedMultiplyAdd(x, b3, a03);
                    x = Vector512.Create(w1[j]);
                    a10 = Avx512F.FusedMultiplyAdd(x, b0, a10);
                    a11 = Avx512F.FusedMultiplyAdd(x, b1, a11);
                    a12 = Avx512F.FusedMultiplyAdd(x, b2, a12);
                    a13 = Avx512F.FusedMultiplyAdd(x, b3, a13);
                    x = Vector512.Create(w2[j]);
                    a20 = Avx512F.FusedMultiplyAdd(x, b0, a20);
                    a21 = Avx512F.FusedMultiplyAdd(x, b1, a21);
                    a22 = Avx512F.FusedMultiplyAdd(x, b2, a22);
                    a23 = Avx512F.FusedMultiplyAdd(x, b3, a23);
                    x = Vector512.Create(w3[j]);
                    a30 = Avx512F.FusedMultiplyAdd(x, b0, a30);
                    a31 = Avx512F.FusedMultiplyAdd(x, b1, a31);
                    a32 = Avx512F.FusedMultiplyAdd(x, b2, a32);
                    a33 = Avx512F.FusedMultiplyAdd(x, b3, a33);
                }

                float* r = or0 + c;
                a00.Store(r);
                a01.Store(r + 16);
                a02.Store(r + 32);
                a03.Store(r + 48);
                r += ldo;
                a10.Store(r);
                a11.Store(r + 16);
                a12.Store(r + 32);
                a13.Store(r + 48);
                r += ldo;
                a20.Store(r);
                a21.Store(r + 16);
                a22.Store(r + 32);
                a23.Store(r + 48);
                r += ldo;
                a30.Store(r);
                a31.Store(r + 16);
                a32.Store(r + 32);
                a33.Store(r + 48);
            }

            for (; c < dv; c += 16)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* b = v + c;
                for (int j = 0; j < lk; j++, b += ldv)
                {
                    var bv = Vector512.Load(b);
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w0[j]), bv, a0);
                    a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w1[j]), bv, a1);
                    a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w2[j]), bv, a2);
                    a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w3[j]), bv, a3);
                }

                a0.Store(or0 + c);
                a1.Store(or0 + ldo + c);
                a2.Store(or0 + (2 * (nint)ldo) + c);
                a3.Store(or0 + (3 * (nint)ldo) + c);
            }
        }

        for (; i < lq; i++)
        {
            float* wi = w + (i * (nint)lk);
            float* oi = o + (i * (nint)ldo);
            for (int c = 0; c < dv; c += 16)
            {
                Vector512<float> a = default;
                float* b = v + c;
                for (int j = 0; j < lk; j++, b += ldv)
                {
                    a = Avx512F.FusedMultiplyAdd(Vector512.Create(wi[j]), Vector512.Load(b), a);
                }

                a.Store(oi + c);
            }
        }
    }

    // p[0..lk) = softmax(s[0..lk)), max-subtracted, as Softmax.Row computes it (exp(x − max) / Σ); s is lk16 long
    // (a multiple of 16) and its padding [lk, lk16) is overwritten.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRow(float* s, int lk, int lk16, float* p)
    {
        for (int j = lk; j < lk16; j++)
        {
            s[j] = float.NegativeInfinity;
        }

        var mv = Vector512.Load(s);
        for (int j = 16; j < lk16; j += 16)
        {
            mv = Vector512.Max(mv, Vector512.Load(s + j));
        }

        var max = Vector512.Create(HorizontalMax(mv));
        var sum = Vector512<float>.Zero;
        for (int j = 0; j < lk16; j += 16)
        {
            var e = Exp(Vector512.Load(s + j) - max);
            e.Store(s + j);
            sum += e;
        }

        var inv = Vector512.Create(1f / Vector512.Sum(sum));
        int full = lk & ~15;
        for (int j = 0; j < full; j += 16)
        {
            (Vector512.Load(s + j) * inv).Store(p + j);
        }

        if (full < lk)
        {
            var keep = Vector512.LessThan(Vector512.CreateSequence(0, 1), Vector512.Create(lk - full)).AsSingle();
            Avx512F.MaskStore(p + full, keep, Vector512.Load(s + full) * inv);
        }
    }

    // e^x for x ≤ 0 (softmax's x − max), about 2 ulp: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its degree-6
    // Taylor polynomial (Horner), scaled by 2ⁿ with vscalefps. Below −104 the result underflows to 0 (and −∞ gives 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(-104f));
        var n = Avx512F.RoundScale(x * Vector512.Create(1.44269504f), 0); // round to nearest
        var r = Avx512F.FusedMultiplyAdd(n, Vector512.Create(-0.693145752f), x);
        r = Avx512F.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);
        var q = Avx512F.FusedMultiplyAdd(Vector512.Create(1f / 720), r, Vector512.Create(1f / 120));
        q = Avx512F.FusedMultiplyAdd(q, r, Vector512.Create(1f / 24));
        q = Avx512F.FusedMultiplyAdd(q, r, Vector512.Create(1f / 6));
        q = Avx512F.FusedMultiplyAdd(q, r, Vector512.Create(0.5f));
        q = Avx512F.FusedMultiplyAdd(q, r, Vector512<float>.One);
        q = Avx512F.FusedMultiplyAdd(q, r, Vector512<float>.One);
        return Avx512F.Scale(q, n);
    }

    private static float HorizontalMax(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var q = Vector128.Max(h.GetLower(), h.GetUpper());
        q = Vector128.Max(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        q = Vector128.Max(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2)));
        return q.ToScalar();
    }
}
