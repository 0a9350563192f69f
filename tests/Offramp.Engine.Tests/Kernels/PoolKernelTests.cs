using Offramp.Engine.Functional;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Kernels;

/// <summary>The clipped-window pooling kernels (float32) against the padded-window reference twins.</summary>
public class PoolKernelTests
{
    [Theory]
    [InlineData(2, 3, 8, 8, 2, 2, 0)]
    [InlineData(1, 4, 7, 9, 3, 2, 1)]
    [InlineData(2, 2, 17, 15, 3, 1, 1)]
    [InlineData(1, 3, 5, 5, 5, 3, 2)]
    [InlineData(3, 1, 33, 31, 4, 3, 2)]
    [InlineData(1, 1, 1, 1, 1, 1, 0)]
    public void Pool2dFloat32_MatchesReference(int n, int c, int h, int w, int k, int s, int p)
    {
        var x = Tensor.Randn(new Rng(9), [n, c, h, w]);
        int oh = ((h + (2 * p) - k) / s) + 1, ow = ((w + (2 * p) - k) / s) + 1;
        var expected = new float[n * c * oh * ow];
        var arg = new int[expected.Length];
        PoolReference.MaxPool<float>(x.Span, expected, arg, n * c, h, w, k, s, p);
        TestUtil.AssertClose(expected, F.MaxPool2d(x, k, s, p).ToArray(), 0, 0, "max");
        foreach (bool include in new[] { true, false })
        {
            PoolReference.AvgPool<float>(x.Span, expected, n * c, h, w, k, s, p, include);
            TestUtil.AssertClose(expected, F.AvgPool2d(x, k, s, p, include).ToArray(), 1e-6, 1e-5, $"avg include={include}");
        }

        // Max backward: the gradient lands on the reference's argmax.
        var xg = x.Detach().WithGrad();
        var gy = Tensor.Randn(new Rng(10), [n, c, oh, ow]);
        F.MaxPool2d(xg, k, s, p).Backward(gy);
        var gx = new float[x.Numel];
        for (int i = 0; i < arg.Length; i++)
        {
            gx[(i / (oh * ow) * h * w) + arg[i]] += gy.Span[i];
        }

        TestUtil.AssertClose(gx, xg.Grad!.ToArray(), 1e-6, 1e-6, "max backward");
    }

    [Theory]
    [InlineData(7, 7, 1, 1)]
    [InlineData(10, 13, 3, 4)]
    [InlineData(5, 5, 7, 7)]
    [InlineData(14, 14, 5, 3)]
    public void AdaptivePool2dFloat32_MatchesReference(int h, int w, int oh, int ow)
    {
        var x = Tensor.Randn(new Rng(11), [2, 3, h, w]);
        var expected = new float[2 * 3 * oh * ow];
        PoolReference.Adaptive<float>(x.Span, expected, 6, h, w, oh, ow, max: false);
        TestUtil.AssertClose(expected, F.AdaptiveAvgPool2d(x, oh, ow).ToArray(), 1e-6, 1e-5, "adaptive avg");
        PoolReference.Adaptive<float>(x.Span, expected, 6, h, w, oh, ow, max: true);
        TestUtil.AssertClose(expected, F.AdaptiveMaxPool2d(x, oh, ow).ToArray(), 0, 0, "adaptive max");
    }
}
