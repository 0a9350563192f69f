using Offramp.Engine.Functional;

namespace Offramp.Engine.Tests.Memory;

/// <summary>
/// Buffers rented without zero-fill (conv and batch-norm outputs and gradients) may hold the previous step's
/// values: the kernels must overwrite every element, and ordinary rents must still come back zeroed.
/// </summary>
public class UninitializedRentTests
{
    // Leaves NaN in a pooled buffer of every size the conv/BN step below uses, so a kernel that skipped an
    // element would show it.
    private static void PoisonPool(params int[][] shapes)
    {
        using var step = TensorMemory.Step();
        foreach (var shape in shapes)
        {
            Tensor.Empty(shape).Fill(double.NaN);
        }
    }

    private static float[] ConvBnStep(Tensor x, Tensor w, Tensor b, Tensor gamma, Tensor beta)
    {
        using var step = TensorMemory.Step();
        var xs = x.Detach().WithGrad();
        var y = F.Conv2d(xs, w, b, 1, 1);
        var z = F.BatchNorm(y, null, null, gamma, beta, training: true);
        z.Mul(z).Sum().Backward();
        return [.. z.ToArray(), .. xs.Grad!.ToArray()];
    }

    [Fact]
    public void ConvAndBatchNorm_RecycledNaNBuffers_SameResultAsFreshBuffers()
    {
        var rng = new Rng(21);
        var x = Tensor.Randn(rng, [2, 3, 6, 5]);
        var w = Tensor.Randn(rng, [4, 3, 3, 3]).WithGrad();
        var b = Tensor.Randn(rng, [4]).WithGrad();
        var gamma = Tensor.Randn(rng, [4]).WithGrad();
        var beta = Tensor.Randn(rng, [4]).WithGrad();
        TensorMemory.Trim();
        var fresh = ConvBnStep(x, w, b, gamma, beta);
        PoisonPool([2, 4, 6, 5], [2, 4, 6, 5], [2, 4, 6, 5], [2, 4, 6, 5], [2, 3, 6, 5], [2, 3, 6, 5], [4, 3, 3, 3], [4]);
        var recycled = ConvBnStep(x, w, b, gamma, beta);
        Assert.All(recycled, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(fresh, recycled);
        TensorMemory.Trim();
    }

    [Fact]
    public void Zeros_RecycledNaNBuffer_ComesBackZeroed()
    {
        TensorMemory.Trim();
        PoisonPool([7, 9]);
        using (TensorMemory.Step())
        {
            Assert.All(Tensor.Zeros(7, 9).ToArray(), v => Assert.Equal(0f, v));
        }

        TensorMemory.Trim();
    }
}
