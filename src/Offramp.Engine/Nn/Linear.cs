using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Affine map y = x·Wᵀ + b (<c>torch.nn.Linear</c>). Parameters <c>weight</c> (out, in) and <c>bias</c> (out),
/// initialised as PyTorch's <c>reset_parameters</c>: kaiming_uniform_(a=√5), bias U(±1/√in).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer and initialises it from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is negative.</exception>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", NewTensor(outFeatures, inFeatures));
        Bias = bias ? RegisterParameter("bias", NewTensor(outFeatures)) : null;
        Init.DefaultLinearOrConv(Weight, Bias, rng);
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight, (out, in).</summary>
    public Tensor Weight { get; }

    /// <summary>Bias, (out), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>x: (..., in) → (..., out).</summary>
    /// <exception cref="ArgumentException">The last dimension of <paramref name="x"/> is not <see cref="InFeatures"/>.</exception>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Shape[^1] != InFeatures)
        {
            throw new ArgumentException($"Linear(in={InFeatures}) got input {Shape.Format(x.Shape)}");
        }

        return F.Linear(x, Weight, Bias);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
