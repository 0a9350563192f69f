namespace Offramp.Engine.Optim;

/// <summary>
/// A set of parameters sharing a learning rate and weight decay (one entry of PyTorch's
/// <c>optimizer.param_groups</c>). Values left null take the optimizer's defaults when it is constructed.
/// </summary>
/// <remarks>
/// Per-group values are the learning rate and the weight decay, the ones models vary in practice (no decay on
/// biases and norms, a larger rate for new heads). Momentum, betas and eps are optimizer-wide.
/// </remarks>
public sealed class ParamGroup
{
    /// <summary>Creates a group.</summary>
    /// <param name="parameters">The tensors to optimise (leaves; the same tensor may not appear twice).</param>
    /// <param name="lr">Learning rate, or null for the optimizer's.</param>
    /// <param name="weightDecay">Weight decay, or null for the optimizer's.</param>
    /// <param name="name">Optional label, for messages and logs.</param>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null, string? name = null)
    {
        Params = [.. parameters];
        LrOverride = lr;
        WeightDecayOverride = weightDecay;
        Name = name;
    }

    /// <summary>The group's parameters.</summary>
    public IReadOnlyList<Tensor> Params { get; }

    /// <summary>Optional label.</summary>
    public string? Name { get; }

    /// <summary>The current learning rate; schedules set it every step.</summary>
    public double Lr { get; set; } = double.NaN;

    /// <summary>The weight decay (L2 for SGD, decoupled for AdamW).</summary>
    public double WeightDecay { get; set; } = double.NaN;

    /// <summary>The learning rate at construction (timm's <c>initial_lr</c>): schedules scale from it.</summary>
    public double InitialLr { get; set; } = double.NaN;

    internal double? LrOverride { get; }

    internal double? WeightDecayOverride { get; }

    internal bool Bound { get; set; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"ParamGroup({Name ?? "unnamed"}, {Params.Count} tensors, lr={Lr:G6}, weight_decay={WeightDecay:G6})";
}
