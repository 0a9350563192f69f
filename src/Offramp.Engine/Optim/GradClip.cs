namespace Offramp.Engine.Optim;

/// <summary>Gradient clipping (<c>torch.nn.utils.clip_grad_norm_</c>).</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients together so that their global L2 norm is at most <paramref name="maxNorm"/>, as
    /// PyTorch: total = ‖(‖g₁‖, ‖g₂‖, …)‖₂ over parameters with a gradient, coef = maxNorm/(total + 1e-6)
    /// clamped to 1, every gradient multiplied by coef in place.
    /// </summary>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArgumentException"><paramref name="errorIfNonfinite"/> and the total norm is NaN or
    /// infinite (nothing is changed then).</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, bool errorIfNonfinite = false)
    {
        var grads = parameters as IReadOnlyList<Tensor> ?? [.. parameters];
        double sumSq = 0;
        foreach (var p in grads)
        {
            if (p.Grad is not { } g)
            {
                continue;
            }

            double n = g.DType == DType.Float32 ? TensorPrimitives.Norm<float>(g.Span) : TensorPrimitives.Norm<double>(g.Data<double>());
            sumSq += n * n;
        }

        double total = Math.Sqrt(sumSq);
        if (errorIfNonfinite && !double.IsFinite(total))
        {
            throw new ArgumentException($"the total norm of the gradients is non-finite ({total}), so it cannot be clipped");
        }

        double coef = Math.Min(maxNorm / (total + 1e-6), 1.0);
        if (!(coef >= 1.0)) // NaN propagates into the gradients, as in PyTorch
        {
            using var _ = Autograd.NoGrad();
            foreach (var p in grads)
            {
                p.Grad?.MulInPlace(coef);
            }
        }

        return total;
    }
}
