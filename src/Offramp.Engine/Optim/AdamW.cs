namespace Offramp.Engine.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter, 2019), exactly <c>torch.optim.AdamW</c>
/// (amsgrad off):
/// <code>
/// t = t + 1
/// p = p·(1 − lr·wd)
/// m = lerp(m, g, 1 − β1)            v = β2·v + (1 − β2)·g²
/// p = p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
/// </code>
/// State per parameter: <c>step</c>, <c>exp_avg</c> (m) and <c>exp_avg_sq</c> (v).
/// </summary>
public sealed class AdamW : Optimizer
{
    private static readonly string[] Names = ["exp_avg", "exp_avg_sq"];

    /// <summary>AdamW over one group of parameters, with PyTorch's defaults.</summary>
    /// <exception cref="ArgumentException">See <see cref="AdamW(IEnumerable{ParamGroup}, double, double, double, double, double)"/>.</exception>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2)
        : this(OneGroup(parameters), lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>AdamW over parameter groups; <paramref name="lr"/> and <paramref name="weightDecay"/> are the
    /// defaults for groups that set none.</summary>
    /// <exception cref="ArgumentException">A negative lr, eps or weight decay, a beta outside [0, 1), or an
    /// invalid group (see <see cref="Optimizer"/>).</exception>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2)
        : base(groups, lr, weightDecay)
    {
        CheckNonNegative(eps, "epsilon");
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
        {
            throw new ArgumentException($"AdamW: invalid betas ({beta1}, {beta2}); each must be in [0, 1)");
        }

        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>Decay of the first-moment average.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment average.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator for numerical stability.</summary>
    public double Eps { get; }

    private protected override string[] StateNames => Names;

    private protected override bool HasStep => true;

    private protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        var m = StateTensor(state, 0, param);
        var v = StateTensor(state, 1, param);
        state.Step++;
        if (param.DType == DType.Float32)
        {
            Kernel(param.Span, grad.Span, m.Span, v.Span, Scratch<float>(param.Numel), group, state.Step);
        }
        else
        {
            Kernel(param.Data<double>(), grad.Data<double>(), m.Data<double>(), v.Data<double>(),
                Scratch<double>(param.Numel), group, state.Step);
        }
    }

    // p, g, m, v, scratch: (numel) each.
    private void Kernel<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> scratch, ParamGroup group, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lr = group.Lr;

        // PyTorch: param.mul_(1 - lr * weight_decay)
        if (group.WeightDecay != 0)
        {
            TensorPrimitives.Multiply(p, T.CreateTruncating(1 - lr * group.WeightDecay), p);
        }

        // PyTorch: exp_avg.lerp_(grad, 1 - beta1)
        TensorPrimitives.Lerp(m, g, T.CreateTruncating(1 - Beta1), m);

        // PyTorch: exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        TensorPrimitives.Multiply(v, T.CreateTruncating(Beta2), v);
        TensorPrimitives.Multiply(g, g, scratch);
        TensorPrimitives.MultiplyAdd(scratch, T.CreateTruncating(1 - Beta2), v, v);

        double biasCorrection1 = 1 - Math.Pow(Beta1, step);
        double biasCorrection2 = 1 - Math.Pow(Beta2, step);
        double stepSize = lr / biasCorrection1;

        // PyTorch: denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        TensorPrimitives.Sqrt(v, scratch);
        TensorPrimitives.Divide(scratch, T.CreateTruncating(Math.Sqrt(biasCorrection2)), scratch);
        TensorPrimitives.Add(scratch, T.CreateTruncating(Eps), scratch);

        // PyTorch: param.addcdiv_(exp_avg, denom, value=-step_size)
        TensorPrimitives.Divide(m, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, T.CreateTruncating(-stepSize), p, p);
    }
}
