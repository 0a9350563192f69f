using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// KL divergence as <c>torch.nn.functional.kl_div(input, target)</c>: pointwise target·(log target − input)
    /// (0 where target = 0, as xlogy), or exp(target)·(target − input) when <paramref name="logTarget"/>.
    /// Differentiable in both arguments (distillation may train the teacher side too).
    /// </summary>
    /// <param name="input">Log-probabilities, any shape.</param>
    /// <param name="target">Probabilities (or log-probabilities when <paramref name="logTarget"/>), the input's shape.</param>
    /// <param name="reduction"><see cref="Reduction.BatchMean"/> (sum / input.size(0), the true KL mean),
    /// <see cref="Reduction.Mean"/> (mean over every element, as PyTorch), <see cref="Reduction.Sum"/>, or
    /// <see cref="Reduction.None"/> (pointwise, the input's shape).</param>
    /// <param name="logTarget">The target holds log-probabilities.</param>
    /// <exception cref="ArgumentException">Shapes or types differ.</exception>
    [Differentiable("kl_div")]
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.BatchMean, bool logTarget = false)
    {
        CheckPointwise(input, target, reduction, "kl_div");
        int batch = input.Rank == 0 ? 1 : input.Shape[0];
        return input.DType == DType.Float32
            ? PointwiseLossImpl<float>(input, target, reduction, batch, logTarget ? PointwiseKind.KlLogTarget : PointwiseKind.Kl)
            : PointwiseLossImpl<double>(input, target, reduction, batch, logTarget ? PointwiseKind.KlLogTarget : PointwiseKind.Kl);
    }

    /// <summary>Mean squared error (<c>torch.nn.functional.mse_loss</c>): (input − target)², reduced.</summary>
    /// <param name="input">Any shape.</param>
    /// <param name="target">The input's shape.</param>
    /// <param name="reduction">Mean (over every element), Sum, or None (the input's shape).</param>
    /// <exception cref="ArgumentException">Shapes or types differ, or the reduction is <see cref="Reduction.BatchMean"/>.</exception>
    [Differentiable("mse_loss")]
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckPointwise(input, target, reduction, "mse_loss");
        return input.DType == DType.Float32
            ? PointwiseLossImpl<float>(input, target, reduction, 1, PointwiseKind.Squared)
            : PointwiseLossImpl<double>(input, target, reduction, 1, PointwiseKind.Squared);
    }

    /// <summary>
    /// Mean absolute error (<c>torch.nn.functional.l1_loss</c>): |input − target|, reduced. The gradient is
    /// sign(input − target), 0 where they are equal (PyTorch).
    /// </summary>
    /// <param name="input">Any shape.</param>
    /// <param name="target">The input's shape.</param>
    /// <param name="reduction">Mean (over every element), Sum, or None (the input's shape).</param>
    /// <exception cref="ArgumentException">Shapes or types differ, or the reduction is <see cref="Reduction.BatchMean"/>.</exception>
    [Differentiable("l1_loss")]
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        CheckPointwise(input, target, reduction, "l1_loss");
        return input.DType == DType.Float32
            ? PointwiseLossImpl<float>(input, target, reduction, 1, PointwiseKind.Absolute)
            : PointwiseLossImpl<double>(input, target, reduction, 1, PointwiseKind.Absolute);
    }

    private enum PointwiseKind
    {
        Kl,
        KlLogTarget,
        Squared,
        Absolute,
    }

    private static void CheckPointwise(Tensor input, Tensor target, Reduction reduction, string op)
    {
        if (!Shape.Equal(input.Shape, target.Shape))
        {
            throw new ArgumentException(
                $"{op}: input {Shape.Format(input.Shape)} and target {Shape.Format(target.Shape)} must have the same shape");
        }

        input.CheckSameDType(target, op);
        CheckReduction(reduction, op);
    }

    private static Tensor PointwiseLossImpl<T>(Tensor input, Tensor target, Reduction reduction, int batch, PointwiseKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var loss = Tensor.Empty(input.Shape, input.DType);
        bool kl = kind is PointwiseKind.Kl or PointwiseKind.KlLogTarget;
        bool logTarget = kind == PointwiseKind.KlLogTarget;
        if (kl)
        {
            Loss.KlDivForward<T>(input.Data<T>(), target.Data<T>(), loss.Data<T>(), logTarget);
        }
        else
        {
            Loss.ErrorForward<T>(input.Data<T>(), target.Data<T>(), loss.Data<T>(), kind == PointwiseKind.Squared);
        }

        double divisor = LossDivisor(loss, reduction, batch);
        var result = ReduceLoss<T>(loss, reduction, divisor);
        if (Autograd.ShouldRecord(input, target))
        {
            string op = kind switch
            {
                PointwiseKind.Squared => "mse_loss",
                PointwiseKind.Absolute => "l1_loss",
                _ => "kl_div",
            };
            Autograd.Record(result, op, [input, target], g =>
            {
                T[] gs = LossGrad<T>(g, reduction, divisor);
                var dx = input.RequiresGrad ? Tensor.Empty(input.Shape, input.DType) : null;
                var dt = target.RequiresGrad ? Tensor.Empty(target.Shape, target.DType) : null;
                if (kl)
                {
                    Loss.KlDivBackward<T>(input.Data<T>(), target.Data<T>(), gs,
                        dx is null ? [] : dx.Data<T>(), dt is null ? [] : dt.Data<T>(), logTarget);
                    return [dx, dt];
                }

                // d/dtarget = −d/dinput for both errors.
                var d = dx ?? Tensor.Empty(input.Shape, input.DType);
                Loss.ErrorBackward<T>(input.Data<T>(), target.Data<T>(), gs, d.Data<T>(), kind == PointwiseKind.Squared);
                if (dt is not null)
                {
                    TensorPrimitives.Negate<T>(d.Data<T>(), dt.Data<T>());
                }

                return [dx, dt];
            });
        }

        return result;
    }
}
