using Offramp.Engine.Kernels;
using Offramp.Engine.Tests.Functional;

namespace Offramp.Engine.Tests.Ops;

/// <summary>
/// Element-wise kernels above <see cref="Parallelism.ElementGrain"/> run in fixed chunks on the kernel threads:
/// the chunked results must equal the one-element-at-a-time forms and not depend on the thread count.
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class ElementwiseThreadingTests
{
    // Three full chunks and an odd remainder (the last chunk takes it: 2 grains + 1237 elements).
    private static readonly int N = (3 * Parallelism.ElementGrain) + 1237;

    [Fact]
    public void ForChunks_CoversEveryElementOnce_CutsIndependentOfThreads()
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (int n in new[] { 0, 1, Parallelism.ElementGrain - 1, 2 * Parallelism.ElementGrain, N })
            {
                var cuts = new List<(int, int)>[2];
                for (int t = 1; t <= 2; t++)
                {
                    Parallelism.Threads = t;
                    var hits = new int[n];
                    var list = new List<(int, int)>();
                    Parallelism.ForChunks(n, (s, len) =>
                    {
                        lock (list)
                        {
                            list.Add((s, len));
                        }

                        for (int i = s; i < s + len; i++)
                        {
                            Interlocked.Increment(ref hits[i]);
                        }
                    });
                    Assert.All(hits, h => Assert.Equal(1, h));
                    cuts[t - 1] = [.. list.OrderBy(c => c.Item1)];
                }

                Assert.Equal(cuts[0], cuts[1]);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void ChunkedMaps_EqualSerialMapsOverOtherCuts()
    {
        var x = KernelTestData.Normal(3, N, sigma: 3);
        var g = KernelTestData.Normal(4, N);
        float[] y = new float[N], dx = new float[N], yRef = new float[N], dxRef = new float[N];
        Elementwise.Map(x, y, default(GeluOp));
        Elementwise.Map(x, g, dx, default(GeluGradOp));

        // Serial oracle: spans shorter than two grains run in one pass; cut at another multiple of 64.
        const int Cut = 1562 * 64;
        for (int s = 0; s < N; s += Cut)
        {
            int n = Math.Min(Cut, N - s);
            Elementwise.Map(x.AsSpan(s, n), yRef.AsSpan(s, n), default(GeluOp));
            Elementwise.Map(x.AsSpan(s, n), g.AsSpan(s, n), dxRef.AsSpan(s, n), default(GeluGradOp));
        }

        Assert.Equal(yRef, y);
        Assert.Equal(dxRef, dx);
        TestUtil.AssertClose(Reference(x, default(GeluOp)), y, 1e-6, 2e-6, "chunked gelu vs float64 reference");
    }

    private static float[] Reference<TOp>(float[] x, TOp op)
        where TOp : struct, IUnaryOp => [.. x.Select(v => op.Reference(v))];

    [Fact]
    public void ElementwiseOps_ThreadCount_BitIdentical()
    {
        var xd = KernelTestData.Normal(5, N);
        var yd = KernelTestData.Normal(6, N);
        int saved = Parallelism.Threads;
        try
        {
            List<float[]> Run(int threads)
            {
                Parallelism.Threads = threads;
                var x = Tensor.FromArray(xd, N).WithGrad();
                var y = Tensor.FromArray(yd, N).WithGrad();
                var a = x.Gelu();
                var b = a.Add(y).Mul(x).Sub(y.Mul(0.5)).Div(y.Add(3.0)).Relu();
                b.Sum().Backward();
                return [a.ToArray(), b.ToArray(), x.Grad!.ToArray(), y.Grad!.ToArray()];
            }

            var one = Run(1);
            var two = Run(2);
            for (int i = 0; i < one.Count; i++)
            {
                Assert.Equal(one[i], two[i]);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
