using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Layer normalisation over the trailing dimensions (<c>torch.nn.LayerNorm</c>). Parameters <c>weight</c>
/// (ones) and <c>bias</c> (zeros), each of shape <see cref="NormalizedShape"/>, when elementwise-affine.
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Normalises over the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
        : this([normalizedShape], eps, elementwiseAffine, bias)
    {
    }

    /// <summary>Normalises over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    /// <exception cref="ArgumentException">The shape is empty or has a non-positive dimension.</exception>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"LayerNorm: invalid normalized_shape {Shape.Format(normalizedShape)}");
        }

        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", NewTensor(NormalizedShape).Fill(1.0));
            Bias = bias ? RegisterParameter("bias", NewTensor(NormalizedShape)) : null;
        }
    }

    /// <summary>The normalised trailing dimensions.</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Scale, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift, or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>x: (..., *normalizedShape) → same shape.</summary>
    /// <exception cref="ArgumentException">The trailing dimensions of <paramref name="x"/> differ.</exception>
    public override Tensor Forward(Tensor x)
    {
        int k = NormalizedShape.Length;
        if (x.Rank < k || !Shape.Equal(x.Shape.AsSpan(x.Rank - k), NormalizedShape))
        {
            throw new ArgumentException($"LayerNorm{Shape.Format(NormalizedShape)} got input {Shape.Format(x.Shape)}");
        }

        return F.LayerNorm(x, NormalizedShape, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{Shape.Format(NormalizedShape)}, eps={PyFloat(Eps)}, elementwise_affine={(Weight is null ? "False" : "True")}";
}
