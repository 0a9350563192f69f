namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>y = x·Wᵀ + b. x: (..., in), w: (out, in), b: (out) or null → (..., out).</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b = null) => throw Todo(nameof(Linear));
}
