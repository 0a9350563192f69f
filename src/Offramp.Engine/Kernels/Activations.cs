using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

// Forward activations as operator structs (x → y). Each matches PyTorch's CPU kernel formula; the Reference form
// is the float64 path and the oracle of the float32 Fast forms (tests: ActivationKernelTests).

/// <summary>Constants shared by the GELU kernels.</summary>
internal static class GeluConst
{
    public const double InvSqrt2 = 0.70710678118654752440;      // M_SQRT1_2
    public const double InvSqrt2Pi = 0.39894228040143267794;    // 1/√(2π)
    public const double Beta = 0.79788456080286535588;          // √(2/π) = M_SQRT2·M_2_SQRTPI·0.5
    public const double Kappa = 0.044715;
}

/// <summary>GELU, exact (PyTorch <c>approximate='none'</c>): y = x·Φ(x) = 0.5·x·(1 + erf(x/√2)).</summary>
internal readonly struct GeluOp : IFastUnaryOp
{
    private const float InvSqrt2 = (float)GeluConst.InvSqrt2;

    // 1 + erf(−z) = erfc(z): no cancellation for x ≪ 0, so the double reference is accurate everywhere.
    public T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(x);
        return T.CreateTruncating(0.5 * v * Erf.Complement(-v * GeluConst.InvSqrt2));
    }

    public float Fast(float x) => x * 0.5f * (1f + Erf.Fast(x * InvSqrt2));

    public Vector256<float> Fast(Vector256<float> x) =>
        x * Vector256.Create(0.5f) * (Vector256<float>.One + Erf.Fast(x * Vector256.Create(InvSqrt2)));

    public Vector512<float> Fast(Vector512<float> x) =>
        x * Vector512.Create(0.5f) * (Vector512<float>.One + Erf.Fast(x * Vector512.Create(InvSqrt2)));
}

/// <summary>
/// GELU, tanh form (PyTorch <c>approximate='tanh'</c>): y = 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³).
/// The float32 form uses the identity 0.5·(1 + tanh(u)) = 1/(1 + e^(−2u)), one exp per element.
/// </summary>
internal readonly struct GeluTanhOp : IFastUnaryOp
{
    private const float Beta = (float)GeluConst.Beta, Kappa = (float)GeluConst.Kappa;

    public T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(x);
        double u = GeluConst.Beta * (v + GeluConst.Kappa * v * v * v);
        return T.CreateTruncating(0.5 * v * (1.0 + Math.Tanh(u)));
    }

    public float Fast(float x) => x / (1f + MathF.Exp(-2f * Beta * MathF.FusedMultiplyAdd(Kappa * x, x * x, x)));

    public Vector256<float> Fast(Vector256<float> x)
    {
        var u = Vector256.FusedMultiplyAdd(Vector256.Create(Kappa) * x, x * x, x);
        return x / (Vector256<float>.One + Vector256.Exp(Vector256.Create(-2f * Beta) * u));
    }

    public Vector512<float> Fast(Vector512<float> x)
    {
        var u = Vector512.FusedMultiplyAdd(Vector512.Create(Kappa) * x, x * x, x);
        return x / (Vector512<float>.One + Vector512.Exp(Vector512.Create(-2f * Beta) * u));
    }
}

/// <summary>SiLU (swish): y = x·σ(x) = x / (1 + e^(−x)).</summary>
internal readonly struct SiluOp : IFastUnaryOp
{
    public T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> => x / (T.One + T.Exp(-x));

    public float Fast(float x) => x / (1f + MathF.Exp(-x));

    public Vector256<float> Fast(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(-x));

    public Vector512<float> Fast(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(-x));
}

/// <summary>Hardswish: y = x·relu6(x + 3)/6 (PyTorch's <c>x * min(max(x + 3, 0), 6) / 6</c>).</summary>
internal readonly struct HardswishOp : IFastUnaryOp
{
    public T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T three = T.CreateTruncating(3), six = T.CreateTruncating(6);
        return x * T.Min(T.Max(x + three, T.Zero), six) / six;
    }

    public float Fast(float x) => x * Math.Min(Math.Max(x + 3f, 0f), 6f) / 6f;

    public Vector256<float> Fast(Vector256<float> x) =>
        x * Relu6(x + Vector256.Create(3f)) / Vector256.Create(6f);

    public Vector512<float> Fast(Vector512<float> x) =>
        x * Relu6(x + Vector512.Create(3f)) / Vector512.Create(6f);

    /// <summary>min(max(v, 0), 6) per lane; NaN propagates (IEEE minimum/maximum).</summary>
    internal static Vector256<float> Relu6(Vector256<float> v) =>
        Vector256.Min(Vector256.Max(v, Vector256<float>.Zero), Vector256.Create(6f));

    /// <inheritdoc cref="Relu6(Vector256{float})"/>
    internal static Vector512<float> Relu6(Vector512<float> v) =>
        Vector512.Min(Vector512.Max(v, Vector512<float>.Zero), Vector512.Create(6f));
}

/// <summary>Hardsigmoid: y = relu6(x + 3)/6.</summary>
internal readonly struct HardsigmoidOp : IFastUnaryOp
{
    public T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T six = T.CreateTruncating(6);
        return T.Min(T.Max(x + T.CreateTruncating(3), T.Zero), six) / six;
    }

    public float Fast(float x) => Math.Min(Math.Max(x + 3f, 0f), 6f) / 6f;

    public Vector256<float> Fast(Vector256<float> x) =>
        HardswishOp.Relu6(x + Vector256.Create(3f)) / Vector256.Create(6f);

    public Vector512<float> Fast(Vector512<float> x) =>
        HardswishOp.Relu6(x + Vector512.Create(3f)) / Vector512.Create(6f);
}

/// <summary>ELU: y = x for x &gt; 0, α·(eˣ − 1) otherwise (PyTorch tests <c>x &lt;= 0</c>; NaN passes through).</summary>
internal readonly struct EluOp(double alpha) : IFastUnaryOp
{
    private readonly double _alpha = alpha;

    public T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        x <= T.Zero ? T.CreateTruncating(_alpha) * ExpM1.Reference(x) : x;

    public float Fast(float x) => x <= 0f ? (float)_alpha * ExpM1.Fast(x) : x;

    public Vector256<float> Fast(Vector256<float> x) =>
        Vector256.ConditionalSelect(
            Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256.Create((float)_alpha) * ExpM1.Fast(x), x);

    public Vector512<float> Fast(Vector512<float> x) =>
        Vector512.ConditionalSelect(
            Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512.Create((float)_alpha) * ExpM1.Fast(x), x);
}

/// <summary>
/// eˣ − 1 without cancellation near 0 (.NET's <c>ExpM1</c> is <c>Exp(x) − 1</c>). Kahan's trick: with u = eˣ
/// rounded, (u − 1)·x/ln(u) cancels the rounding error of u; exact for u = 1 and saturating at −1. Valid for
/// x ≤ 0 (all ELU needs; for large x, u = ∞ gives NaN).
/// </summary>
internal static class ExpM1
{
    public static T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.Exp(x);
        if (u == T.One)
        {
            return x;
        }

        T um1 = u - T.One;
        return um1 == -T.One ? um1 : um1 * x / T.Log(u);
    }

    public static float Fast(float x) => Reference(x);

    public static Vector256<float> Fast(Vector256<float> x)
    {
        var u = Vector256.Exp(x);
        var um1 = u - Vector256<float>.One;
        var r = um1 * x / Vector256.Log(u);
        r = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<float>.One), x, r);
        return Vector256.ConditionalSelect(Vector256.Equals(um1, Vector256.Create(-1f)), um1, r);
    }

    public static Vector512<float> Fast(Vector512<float> x)
    {
        var u = Vector512.Exp(x);
        var um1 = u - Vector512<float>.One;
        var r = um1 * x / Vector512.Log(u);
        r = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<float>.One), x, r);
        return Vector512.ConditionalSelect(Vector512.Equals(um1, Vector512.Create(-1f)), um1, r);
    }
}
