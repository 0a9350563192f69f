namespace Offramp.Engine.Nn;

// Element-wise activation modules (torch.nn.modules.activation): no parameters, any shape → same shape.

/// <summary>max(0, x) (<c>torch.nn.ReLU</c>).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Relu();
}

/// <summary>
/// x·Φ(x) (<c>torch.nn.GELU</c>); with <c>approximate: "tanh"</c>,
/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
/// </summary>
public sealed class GELU : Module
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither "none" nor "tanh".</exception>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
        {
            throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate));
        }

        Approximate = approximate;
    }

    /// <summary>"none" (exact, erf) or "tanh".</summary>
    public string Approximate { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Gelu(Approximate == "tanh");

    /// <inheritdoc/>
    protected override string ExtraRepr() => Approximate == "none" ? "" : $"approximate='{Approximate}'";
}

/// <summary>x·σ(x), a.k.a. swish (<c>torch.nn.SiLU</c>).</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Silu();
}

/// <summary>1/(1 + e⁻ˣ) (<c>torch.nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Sigmoid();
}

/// <summary>tanh(x) (<c>torch.nn.Tanh</c>).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Tanh();
}

/// <summary>x·relu6(x + 3)/6 (<c>torch.nn.Hardswish</c>, MobileNetV3).</summary>
public sealed class Hardswish : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Hardswish();
}

/// <summary>relu6(x + 3)/6 (<c>torch.nn.Hardsigmoid</c>, MobileNetV3's squeeze-excite gate).</summary>
public sealed class Hardsigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Hardsigmoid();
}

/// <summary>x for x &gt; 0, α·(eˣ − 1) otherwise (<c>torch.nn.ELU</c>).</summary>
public sealed class ELU(double alpha = 1.0) : Module
{
    /// <summary>The negative saturation value.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Elu(Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"alpha={PyFloat(Alpha)}";
}

/// <summary>Returns its input (<c>torch.nn.Identity</c>): a placeholder that keeps a module tree's names.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x;
}
