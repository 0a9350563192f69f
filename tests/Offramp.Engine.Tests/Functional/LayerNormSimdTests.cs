using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Functional;

/// <summary>The fused float32 LayerNorm rows (<see cref="LayerNormSimd"/>) at each SIMD width against the naive twin.</summary>
[Collection(Training.ThreadCountCollection.Name)]
public class LayerNormSimdTests
{
    [Theory]
    [InlineData(512)]
    [InlineData(0)]
    public void LayerNormSimd_OddWidths_MatchReference(int widthBits)
    {
        var width = (SimdWidth)widthBits; // SimdWidth is internal: the theory data are its values
        foreach (int d in new[] { 1, 5, 15, 16, 17, 33, 128, 192, 200 })
        {
            foreach (bool affine in new[] { false, true })
            {
                const int Rows = 5;
                var x = KernelTestData.Normal((ulong)d, Rows * d, sigma: 3).Select(v => v + 40f).ToArray(); // large mean
                var dy = KernelTestData.Normal((ulong)d + 1, Rows * d);
                float[] w = affine ? KernelTestData.Normal((ulong)d + 2, d) : [], b = affine ? KernelTestData.Normal((ulong)d + 3, d) : [];
                float[] y = new float[Rows * d], dx = new float[Rows * d], mean = new float[Rows], rstd = new float[Rows];
                float[] dw = new float[d], db = new float[d];
                LayerNormSimd.Forward(x, w, b, y, mean, rstd, Rows, d, 1e-5f, width);
                LayerNormSimd.Backward(dy, x, w, mean, rstd, dx, Rows, d, width);
                LayerNormSimd.ParamBackward(dy, x, mean, rstd, dw, db, Rows, d, width);

                double[] yR = new double[Rows * d], dxR = new double[Rows * d], meanR = new double[Rows], rstdR = new double[Rows];
                double[] dwR = new double[d], dbR = new double[d];
                double[] xD = KernelTestData.ToDouble(x), wD = KernelTestData.ToDouble(w);
                NormReference.LayerNormForward<double>(xD, wD, KernelTestData.ToDouble(b), yR, meanR, rstdR, Rows, d, 1e-5);
                NormReference.LayerNormBackward<double>(KernelTestData.ToDouble(dy), xD, wD, meanR, rstdR, dxR, dwR, dbR, Rows, d);
                string what = $"layer_norm {width} (M, D) = ({Rows}, {d}) affine={affine}";
                TestUtil.AssertClose(KernelTestData.ToFloat(meanR), mean, 1e-5, 1e-5, what + " mean");
                TestUtil.AssertClose(KernelTestData.ToFloat(rstdR), rstd, 1e-5, 1e-4, what + " rstd");
                TestUtil.AssertClose(KernelTestData.ToFloat(yR), y, 1e-4, 1e-4, what + " y");
                TestUtil.AssertClose(KernelTestData.ToFloat(dxR), dx, 1e-4, 1e-3, what + " dx");
                TestUtil.AssertClose(KernelTestData.ToFloat(dwR), dw, 1e-4, 1e-4, what + " dw");
                TestUtil.AssertClose(KernelTestData.ToFloat(dbR), db, 1e-4, 1e-4, what + " db");
            }
        }
    }

    [Fact]
    public void LayerNorm_ThreadCount_BitIdentical()
    {
        const int Rows = 3200, D = 192;
        var xd = KernelTestData.Normal(7, Rows * D);
        var wd = KernelTestData.Normal(8, D);
        var g = Tensor.FromArray(KernelTestData.Normal(9, Rows * D), Rows, D);
        int saved = Parallelism.Threads;
        try
        {
            List<float[]> Run(int threads)
            {
                Parallelism.Threads = threads;
                var x = Tensor.FromArray(xd, Rows, D).WithGrad();
                var w = Tensor.FromArray(wd, D).WithGrad();
                var b = Tensor.Zeros(D).WithGrad();
                var y = F.LayerNorm(x, [D], w, b);
                y.Backward(g);
                return [y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray()];
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
