using Offramp.Engine.Optim;

namespace Offramp.Engine.Tests.Optim;

public class GradClipTests
{
    [Fact]
    public void ClipGradNorm_AboveMax_ScalesAll_MatchesTorch()
    {
        // torch.nn.utils.clip_grad_norm_([a, b], 2.0) with grads [3, -4] and [[1, 2], [2, 4]] (PyTorch 1.13):
        // total 7.0710678118654755, a.grad [0.8485280174238738, -1.1313706898984985].
        var a = Tensor.Zeros([2], DType.Float64).WithGrad();
        var b = Tensor.Zeros([2, 2], DType.Float64).WithGrad();
        var c = Tensor.Zeros([3], DType.Float64).WithGrad(); // no grad: ignored
        a.Grad = Tensor.FromArray([3.0, -4.0], 2);
        b.Grad = Tensor.FromArray([1.0, 2.0, 2.0, 4.0], 2, 2);
        double total = GradClip.ClipGradNorm([a, b, c], 2.0);
        Assert.Equal(7.0710678118654755, total, 14);
        Assert.Equal(0.8485280174238738, a.Grad.GetFlat(0), 14);
        Assert.Equal(-1.1313706898984985, a.Grad.GetFlat(1), 14);
        Assert.Equal(0.28284267247462463, b.Grad.GetFlat(0), 14);
        Assert.Null(c.Grad);
    }

    [Fact]
    public void ClipGradNorm_BelowMax_Unchanged()
    {
        var a = Tensor.Zeros(2).WithGrad();
        a.Grad = Tensor.FromArray([0.3f, 0.4f], 2);
        Assert.Equal(0.5, GradClip.ClipGradNorm([a], 1.0), 6);
        Assert.Equal([0.3f, 0.4f], a.Grad.ToArray());
    }

    [Fact]
    public void ClipGradNorm_Nonfinite_ThrowsWhenAsked()
    {
        var a = Tensor.Zeros(2).WithGrad();
        a.Grad = Tensor.FromArray([float.NaN, 1f], 2);
        Assert.Throws<ArgumentException>(() => GradClip.ClipGradNorm([a], 1.0, errorIfNonfinite: true));
        Assert.True(double.IsNaN(GradClip.ClipGradNorm([a], 1.0)));
    }
}
