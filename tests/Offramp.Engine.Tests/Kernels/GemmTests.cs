using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Kernels;

public class GemmTests
{
    private static readonly int[] Small = [1, 2, 3, 7, 15, 16, 17, 31, 33];

    public static TheoryData<string> Paths()
    {
        var d = new TheoryData<string>();
        foreach (var p in new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar })
        {
            if (Gemm.IsSupported(p))
            {
                d.Add(p.ToString());
            }
        }

        return d;
    }

    internal static float[] Rand(ulong seed, int n)
    {
        var rng = new Rng(seed);
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = (float)rng.NextNormal();
        }

        return r;
    }

    // Runs one case on `path` and on the float64 reference; lda/ldb/ldc carry `pad` extra columns.
    private static void Check(GemmPath path, bool ta, bool tb, int m, int n, int k, float alpha, float beta, int pad, ulong seed)
    {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = Rand(seed, ((ta ? k : m) * lda) + 1);
        var b = Rand(seed + 1, ((tb ? n : k) * ldb) + 1);
        var c = Rand(seed + 2, m * ldc);
        if (beta == 0)
        {
            Array.Fill(c, float.NaN); // beta == 0 must not read C
        }

        var expected = c.Select(v => (double)v).ToArray();
        GemmReference.Gemm(ta, tb, m, n, k, alpha, a.Select(v => (double)v).ToArray(), lda,
            b.Select(v => (double)v).ToArray(), ldb, beta, expected, ldc);
        Gemm.Sgemm(path, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        var exp = new float[m * n];
        var act = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                exp[(i * n) + j] = (float)expected[(i * ldc) + j];
                act[(i * n) + j] = c[(i * ldc) + j];
            }
        }

        TestUtil.AssertClose(exp, act, 1e-4 * Math.Sqrt(k + 1), 1e-4, $"{path} ta={ta} tb={tb} m={m} n={n} k={k}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Sgemm_SmallShapesAllTranspositions_MatchesReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        ulong seed = 1;
        foreach (int m in Small)
        {
            foreach (int n in Small)
            {
                foreach (int k in Small)
                {
                    for (int t = 0; t < 4; t++)
                    {
                        Check(path, (t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, 0, seed++);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Sgemm_LargeAndOddShapesWithStridesAlphaBeta_MatchesReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        int[][] shapes =
        [
            [64, 64, 64], [65, 33, 17], [100, 100, 100], [257, 65, 31], [31, 257, 100], [17, 64, 257],
            [300, 40, 200], [7, 3100, 5], [600, 33, 400], [1, 257, 65], [257, 1, 65], [33, 17, 1],
        ];
        ulong seed = 100;
        foreach (var s in shapes)
        {
            for (int t = 0; t < 4; t++)
            {
                Check(path, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 1.5f, 0.5f, 3, seed++);
                Check(path, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], -1f, 0f, 0, seed++);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Sgemm_ZeroKOrAlpha_ScalesCByBeta(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        Gemm.Sgemm(path, false, false, 2, 3, 0, 1f, [], 1, [], 3, 2f, c, 3);
        Assert.Equal(new float[] { 2, 4, 6, 8, 10, 12 }, c);
        var a = Rand(1, 8);
        Gemm.Sgemm(path, false, false, 2, 3, 4, 0f, a, 4, Rand(2, 12), 3, 0f, c, 3);
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SgemmBias_BitIdenticalToBiasFilledCWithBetaOne_AndCloseToReference(string pathName)
    {
        // The fused bias (added to each tile after the micro-kernel) against C filled with the bias row and Sgemm with
        // beta 1, bit for bit: odd m and n (edge tiles), k over KC (several k blocks), every transposition, ldc > n,
        // shapes with more than one column block per task, and the float64 reference.
        var path = Enum.Parse<GemmPath>(pathName);
        int[][] shapes = [[1, 1, 1], [7, 33, 5], [65, 576, 192], [130, 40, 600], [300, 97, 31], [5, 3100, 17], [33, 64, 0]];
        using var scope = Gemm.Force(path);
        foreach (var sh in shapes)
        {
            int m = sh[0], n = sh[1], k = sh[2];
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    int lda = ta ? m : k, ldb = tb ? k : n, ldc = n + 3;
                    var a = Rand(11, Math.Max(1, (ta ? k : m) * lda));
                    var b = Rand(12, Math.Max(1, (tb ? n : k) * ldb));
                    var bias = Rand(13, n);
                    var expected = new float[m * ldc];
                    var got = new float[m * ldc];
                    Array.Fill(got, float.NaN); // C is not read
                    for (int i = 0; i < m; i++)
                    {
                        bias.CopyTo(expected.AsSpan(i * ldc, n));
                    }

                    Gemm.Sgemm(path, ta, tb, m, n, k, 1f, a, lda, b, ldb, 1f, expected, ldc);
                    Gemm.SgemmBias(ta, tb, m, n, k, a, lda, b, ldb, bias, got, ldc);
                    for (int i = 0; i < m; i++)
                    {
                        Assert.Equal(expected.AsSpan(i * ldc, n).ToArray(), got.AsSpan(i * ldc, n).ToArray());
                    }

                    var reference = new double[m * ldc];
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            reference[(i * ldc) + j] = bias[j];
                        }
                    }

                    GemmReference.Gemm(ta, tb, m, n, k, 1.0, a.Select(v => (double)v).ToArray(), lda,
                        b.Select(v => (double)v).ToArray(), ldb, 1.0, reference, ldc);
                    for (int i = 0; i < m; i++)
                    {
                        TestUtil.AssertClose(reference.AsSpan(i * ldc, n).ToArray().Select(v => (float)v).ToArray(),
                            got.AsSpan(i * ldc, n).ToArray(), 1e-4 * Math.Sqrt(k + 1), 1e-4, $"{path} m={m} n={n} k={k}");
                    }
                }
            }
        }

        var e = Assert.Throws<ArgumentException>(() => Gemm.SgemmBias(false, false, 2, 3, 4, new float[8], 4, new float[12], 3,
            new float[2], new float[6], 3));
        Assert.Contains("bias of 2 for 3 columns", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sgemm_ShortSpan_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
        Assert.Contains("A (4, 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sgemm_OneVersusTwoThreads_BitIdentical()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (var (m, n, k) in new[] { (300, 200, 500), (64, 768, 192), (1000, 64, 576), (5, 700, 3) })
            {
                for (int t = 0; t < 4; t++)
                {
                    bool ta = (t & 1) != 0, tb = (t & 2) != 0;
                    var a = Rand(7, m * k);
                    var b = Rand(8, k * n);
                    var c1 = Rand(9, m * n);
                    var c2 = (float[])c1.Clone();
                    Parallelism.Threads = 1;
                    Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0.5f, c1, n);
                    Parallelism.Threads = 2;
                    Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0.5f, c2, n);
                    Assert.Equal(c1, c2);
                }
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void SgemmBatched_StridedAndBroadcast_MatchesReference()
    {
        foreach (var (batch, m, n, k) in new[] { (5, 7, 9, 11), (3, 65, 40, 130), (2, 1, 1, 1) })
        {
            var a = Rand(11, batch * m * k);
            var b = Rand(12, k * n); // broadcast: stride 0
            var c = new float[batch * m * n];
            Gemm.SgemmBatched(false, false, m, n, k, 1f, a, k, m * k, b, n, 0, 0f, c, n, m * n, batch);
            var expected = new double[batch * m * n];
            var offA = Enumerable.Range(0, batch).Select(i => i * m * k).ToArray();
            var offC = Enumerable.Range(0, batch).Select(i => i * m * n).ToArray();
            GemmReference.GemmBatched(false, false, m, n, k, 1.0, a.Select(v => (double)v).ToArray(), k, offA,
                b.Select(v => (double)v).ToArray(), n, new int[batch], 0.0, expected, n, offC);
            TestUtil.AssertClose(expected.Select(v => (float)v).ToArray(), c, 1e-4 * Math.Sqrt(k), 1e-4, $"batched {batch}×{m}×{n}×{k}");
        }
    }
}
