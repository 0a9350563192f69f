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
/// (Lk16 = Lk rounded up to 16, stored in 64- and 16-column blocks) that stays in L1 for these sizes, Q is read in
/// place (one broadcast per element), and V's rows are read in place too, as P·V's B operand needs no packing when
/// Dv is a multiple of 16.
/// </summary>
/// <remarks>
/// Both products run the same register tiles: 4 rows × 64 columns (16 accumulators), with 4 × 16 and 1 × 16 tails.
/// Each score is summed over d = 0..D−1 in order and each output over j = 0..Lk−1 in order: the results depend on the
/// shapes alone, never on the thread count. Same function as <see cref="Attention"/>'s general path, up to float rounding (tests compare
/// both with the float64 reference, <c>Reference.AttentionReference</c>).
/// </remarks>
internal static unsafe class AttentionAvx512
{
    /// <summary>True when this kernel serves heads of width <paramref name="d"/> and value width
    /// <paramref name="dv"/> on this CPU.</summary>
    public static bool Applies(int d, int dv) =>
        Avx512F.IsSupported && !s_disabled.Off && d % 16 == 0 && dv % 16 == 0 && d > 0 && dv > 0;

    private static readonly FastPathSwitch s_disabled = new();

    /// <summary>Sends attention in this async flow down the general GEMM path until the scope is disposed (tests
    /// and benchmarks compare the two).</summary>
    public static FastPathSwitch.Scope Disable() => s_disabled.TurnOff();

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

    // s[r, 0..lk16) = scale · Σ_c q[r, c]·kt[c, ·] for r < rows (≤ 4); q rows ldq apart, s rows lk16 apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float* q, int ldq, int rows, float* kt, int lk16, int d, float* s, float scale)
    {
        var sc = Vector512.Create(scale);
        if (rows == 4)
        {
            float* q0 = q, q1 = q + ldq, q2 = q + (2 * (nint)ldq), q3 = q + (3 * (nint)ldq);
            int j = 0;
            for (; j + 64 <= lk16; j += 64)
            {
                Tile4x64(q0, q1, q2, q3, kt + (j * (nint)d), 64, d, s + j, lk16, sc);
            }

            for (; j < lk16; j += 16)
            {
                Tile4x16(q0, q1, q2, q3, kt + (j * (nint)d), 16, d, s + j, lk16, sc);
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < lk16; j += 16)
            {
                float* b = Column(kt, j, lk16, d, out int w);
                Tile1x16(q + (r * (nint)ldq), b, w, d, s + (r * lk16) + j, sc);
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
        var one = Vector512<float>.One;
        int i = 0;
        for (; i + 4 <= lq; i += 4)
        {
            float* w0 = w + (i * (nint)lk), w1 = w0 + lk, w2 = w1 + lk, w3 = w2 + lk;
            float* oi = o + (i * (nint)ldo);
            int c = 0;
            for (; c + 64 <= dv; c += 64)
            {
                Tile4x64(w0, w1, w2, w3, v + c, ldv, lk, oi + c, ldo, one);
            }

            for (; c < dv; c += 16)
            {
                Tile4x16(w0, w1, w2, w3, v + c, ldv, lk, oi + c, ldo, one);
            }
        }

        for (; i < lq; i++)
        {
            for (int c = 0; c < dv; c += 16)
            {
                Tile1x16(w + (i * (nint)lk), v + c, ldv, lk, o + (i * (nint)ldo) + c, one);
            }
        }
    }

    // The register tiles both products share: C[r, 0..cols) = scale · Σ_t a_r[t]·B[t, 0..cols) for t = 0..depth−1 in
    // order, rows a0..a3 contiguous along t (one broadcast per element), B rows ldb apart, C rows ldc apart. The scores
    // pass their scale; P·V passes 1 (an exact multiply).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x64(float* a0, float* a1, float* a2, float* a3, float* b, nint ldb, int depth, float* c,
        nint ldc, Vector512<float> scale)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int t = 0; t < depth; t++, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(a0[t]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            c02 = Avx512F.FusedMultiplyAdd(x, b2, c02);
            c03 = Avx512F.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a1[t]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            c12 = Avx512F.FusedMultiplyAdd(x, b2, c12);
            c13 = Avx512F.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a2[t]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            c22 = Avx512F.FusedMultiplyAdd(x, b2, c22);
            c23 = Avx512F.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a3[t]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            c32 = Avx512F.FusedMultiplyAdd(x, b2, c32);
            c33 = Avx512F.FusedMultiplyAdd(x, b3, c33);
        }

        (c00 * scale).Store(c);
        (c01 * scale).Store(c + 16);
        (c02 * scale).Store(c + 32);
        (c03 * scale).Store(c + 48);
        c += ldc;
        (c10 * scale).Store(c);
        (c11 * scale).Store(c + 16);
        (c12 * scale).Store(c + 32);
        (c13 * scale).Store(c + 48);
        c += ldc;
        (c20 * scale).Store(c);
        (c21 * scale).Store(c + 16);
        (c22 * scale).Store(c + 32);
        (c23 * scale).Store(c + 48);
        c += ldc;
        (c30 * scale).Store(c);
        (c31 * scale).Store(c + 16);
        (c32 * scale).Store(c + 32);
        (c33 * scale).Store(c + 48);
    }

    // Tile4x64 for 16 columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x16(float* a0, float* a1, float* a2, float* a3, float* b, nint ldb, int depth, float* c,
        nint ldc, Vector512<float> scale)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int t = 0; t < depth; t++, b += ldb)
        {
            var bv = Vector512.Load(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[t]), bv, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t]), bv, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[t]), bv, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[t]), bv, c3);
        }

        (c0 * scale).Store(c);
        (c1 * scale).Store(c + ldc);
        (c2 * scale).Store(c + (2 * ldc));
        (c3 * scale).Store(c + (3 * ldc));
    }

    // Tile4x64 for one row and 16 columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x16(float* a, float* b, nint ldb, int depth, float* c, Vector512<float> scale)
    {
        Vector512<float> acc = default;
        for (int t = 0; t < depth; t++, b += ldb)
        {
            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t]), Vector512.Load(b), acc);
        }

        (acc * scale).Store(c);
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
