namespace Offramp.Engine.Optim;

/// <summary>
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (L2) weight decay, with exactly
/// the update rule of <c>torch.optim.SGD</c>:
/// <code>
/// d = g + wd·p
/// if momentum ≠ 0:
///     buf = d                                  (first step)
///     buf = momentum·buf + (1 − dampening)·d   (later steps)
///     d = nesterov ? d + momentum·buf : buf
/// p = p − lr·d
/// </code>
/// State per parameter: <c>momentum_buffer</c> (only when momentum ≠ 0).
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumState = ["momentum_buffer"];

    /// <summary>SGD over one group of parameters.</summary>
    /// <exception cref="ArgumentException">See <see cref="Sgd(IEnumerable{ParamGroup}, double, double, double, double, bool)"/>.</exception>
    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0.0, double dampening = 0.0,
        double weightDecay = 0.0, bool nesterov = false)
        : this(OneGroup(parameters), lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <summary>SGD over parameter groups; <paramref name="lr"/> and <paramref name="weightDecay"/> are the defaults
    /// for groups that set none.</summary>
    /// <exception cref="ArgumentException">A negative lr, momentum or weight decay; Nesterov without momentum or
    /// with dampening (as PyTorch); or an invalid group (see <see cref="Optimizer"/>).</exception>
    public Sgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0.0, double dampening = 0.0,
        double weightDecay = 0.0, bool nesterov = false)
        : base(groups, lr, weightDecay)
    {
        CheckNonNegative(momentum, "momentum");
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum and zero dampening");
        }

        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>Momentum factor (0 disables the momentum buffer).</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the momentum's gradient term.</summary>
    public double Dampening { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    private protected override string[] StateNames => Momentum != 0 ? MomentumState : [];

    private protected override bool HasStep => false;

    private protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        bool first = Momentum != 0 && state.Tensors[0] is null;
        var buf = Momentum != 0 ? StateTensor(state, 0, param) : null;
        if (param.DType == DType.Float32)
        {
            Kernel(param.Span, grad.Span, buf is null ? default : buf.Span, first, Scratch<float>(param.Numel), group);
        }
        else
        {
            Kernel(param.Data<double>(), grad.Data<double>(), buf is null ? default : buf.Data<double>(), first,
                Scratch<double>(param.Numel), group);
        }
    }

    // p, g, buf, scratch: (numel) each; buf is empty without momentum.
    private void Kernel<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, bool first, Span<T> scratch, ParamGroup group)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> d = g;
        if (group.WeightDecay != 0)
        {
            // PyTorch: d_p = d_p.add(param, alpha=weight_decay)
            TensorPrimitives.MultiplyAdd(p, T.CreateTruncating(group.WeightDecay), g, scratch);
            d = scratch;
        }

        if (Momentum != 0)
        {
            var m = T.CreateTruncating(Momentum);
            if (first)
            {
                d.CopyTo(buf); // PyTorch: buf = torch.clone(d_p).detach()
            }
            else
            {
                // PyTorch: buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                TensorPrimitives.Multiply(buf, m, buf);
                TensorPrimitives.MultiplyAdd(d, T.CreateTruncating(1 - Dampening), buf, buf);
            }

            if (Nesterov)
            {
                // PyTorch: d_p = d_p.add(buf, alpha=momentum); scratch may already hold d (exact overlap is allowed)
                TensorPrimitives.MultiplyAdd(buf, m, d, scratch);
                d = scratch;
            }
            else
            {
                d = buf;
            }
        }

        // PyTorch: param.add_(d_p, alpha=-lr)
        TensorPrimitives.MultiplyAdd(d, T.CreateTruncating(-group.Lr), p, p);
    }
}
