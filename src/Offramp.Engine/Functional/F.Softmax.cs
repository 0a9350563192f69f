using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Softmax along <paramref name="axis"/> (<c>torch.softmax</c>): exp(x − max) / Σ exp(x − max), so large
    /// logits do not overflow. Fused backward: dx = y ⊙ (dy − Σ dy ⊙ y).
    /// </summary>
    /// <param name="x">Any shape of rank ≥ 1.</param>
    /// <param name="axis">The axis normalised over; negative counts from the end.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape whose slices along <paramref name="axis"/> sum to 1.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a scalar.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is out of range.</exception>
    [Differentiable("softmax")]
    public static Tensor Softmax(Tensor x, int axis = -1) => SoftmaxOp(x, axis, log: false);

    /// <summary>
    /// Log-softmax along <paramref name="axis"/> (<c>torch.log_softmax</c>): x − max − log Σ exp(x − max).
    /// Fused backward: dx = dy − exp(y) ⊙ Σ dy.
    /// </summary>
    /// <param name="x">Any shape of rank ≥ 1.</param>
    /// <param name="axis">The axis normalised over; negative counts from the end.</param>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a scalar.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is out of range.</exception>
    [Differentiable("log_softmax")]
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => SoftmaxOp(x, axis, log: true);

    private static Tensor SoftmaxOp(Tensor x, int axis, bool log)
    {
        string op = log ? "log_softmax" : "softmax";
        if (x.Rank == 0)
        {
            throw new ArgumentException($"{op}: input must have rank ≥ 1, got a scalar");
        }

        var (outer, reduced, inner) = Reduce.Split(x.Shape, Shape.NormAxis(axis, x.Rank));
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32)
        {
            SoftmaxRun<float>(x, y, outer, reduced, inner, log, backward: false);
        }
        else
        {
            SoftmaxRun<double>(x, y, outer, reduced, inner, log, backward: false);
        }

        if (Autograd.ShouldRecord(x))
        {
            Autograd.Record(y, op, [x], g =>
            {
                var dx = Tensor.Empty(y.Shape, y.DType);
                if (y.DType == DType.Float32)
                {
                    SoftmaxRun<float>(y, dx, outer, reduced, inner, log, backward: true, g);
                }
                else
                {
                    SoftmaxRun<double>(y, dx, outer, reduced, inner, log, backward: true, g);
                }

                return [dx];
            });
        }

        return y;
    }

    // Forward: src = x, dst = y. Backward: src = y, dst = dx, dy = the output gradient.
    private static void SoftmaxRun<T>(Tensor src, Tensor dst, int outer, int reduced, int inner, bool log, bool backward, Tensor? dy = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = reduced * inner;
        Rows.For(outer, 4L * block, (o0, o1) =>
        {
            T[] scratch = inner == 1 ? [] : new T[2 * inner];
            var s = src.Data<T>().Slice(o0 * block, (o1 - o0) * block);
            var d = dst.Data<T>().Slice(o0 * block, (o1 - o0) * block);
            if (backward)
            {
                var g = dy!.Data<T>().Slice(o0 * block, (o1 - o0) * block);
                Kernels.Softmax.Backward<T>(s, g, d, o1 - o0, reduced, inner, log, scratch);
            }
            else
            {
                Kernels.Softmax.Forward<T>(s, d, o1 - o0, reduced, inner, log, scratch);
            }
        });
    }
}
