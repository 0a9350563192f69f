using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

// Backward rules of the activations as map ops (a, g) → dx, where a is the forward input x or output y (named
// per op) and g the output gradient. Each follows PyTorch's CPU backward kernel, including its boundary choices.

/// <summary>ReLU backward from the output: dx = y ≤ 0 ? 0 : g (PyTorch threshold_backward; grad 0 at 0).</summary>
internal readonly struct ReluGradOp : IFastMapOp
{
    public T Reference<T>(T y, T g)
        where T : unmanaged, IFloatingPointIeee754<T> => y <= T.Zero ? T.Zero : g;

    public float Fast(float y, float g) => y <= 0f ? 0f : g;

    public Vector256<float> Fast(Vector256<float> y, Vector256<float> g) =>
        Vector256.ConditionalSelect(Vector256.LessThanOrEqual(y, Vector256<float>.Zero), Vector256<float>.Zero, g);

    public Vector512<float> Fast(Vector512<float> y, Vector512<float> g) =>
        Vector512.ConditionalSelect(Vector512.LessThanOrEqual(y, Vector512<float>.Zero), Vector512<float>.Zero, g);
}

/// <summary>Exact GELU backward: dx = g·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π).</summary>
internal readonly struct GeluGradOp : IFastMapOp
{
    private const float InvSqrt2 = (float)GeluConst.InvSqrt2, InvSqrt2Pi = (float)GeluConst.InvSqrt2Pi;

    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(x);
        double cdf = 0.5 * Erf.Complement(-v * GeluConst.InvSqrt2);
        double pdf = GeluConst.InvSqrt2Pi * Math.Exp(-0.5 * v * v);
        return T.CreateTruncating(double.CreateTruncating(g) * (cdf + v * pdf));
    }

    public float Fast(float x, float g)
    {
        float cdf = 0.5f * (1f + Erf.Fast(x * InvSqrt2));
        float pdf = InvSqrt2Pi * MathF.Exp(-0.5f * x * x);
        return g * MathF.FusedMultiplyAdd(x, pdf, cdf);
    }

    public Vector256<float> Fast(Vector256<float> x, Vector256<float> g)
    {
        var cdf = Vector256.Create(0.5f) * (Vector256<float>.One + Erf.Fast(x * Vector256.Create(InvSqrt2)));
        var pdf = Vector256.Create(InvSqrt2Pi) * Vector256.Exp(Vector256.Create(-0.5f) * x * x);
        return g * Vector256.FusedMultiplyAdd(x, pdf, cdf);
    }

    public Vector512<float> Fast(Vector512<float> x, Vector512<float> g)
    {
        var cdf = Vector512.Create(0.5f) * (Vector512<float>.One + Erf.Fast(x * Vector512.Create(InvSqrt2)));
        var pdf = Vector512.Create(InvSqrt2Pi) * Vector512.Exp(Vector512.Create(-0.5f) * x * x);
        return g * Vector512.FusedMultiplyAdd(x, pdf, cdf);
    }
}

/// <summary>
/// Tanh-GELU backward (PyTorch's formula): with t = tanh(u), dx = g·(0.5(1 + t) + 0.5x(1 − t²)·√(2/π)(1 + 3κx²)).
/// The float32 form writes s = 0.5(1 + t) = 1/(1 + e^(−2u)), so 0.5(1 − t²) = 2s(1 − s).
/// </summary>
internal readonly struct GeluTanhGradOp : IFastMapOp
{
    private const float Beta = (float)GeluConst.Beta, Kappa = (float)GeluConst.Kappa;

    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(x);
        double t = Math.Tanh(GeluConst.Beta * (v + GeluConst.Kappa * v * v * v));
        double inner = GeluConst.Beta * (1.0 + 3.0 * GeluConst.Kappa * v * v);
        return T.CreateTruncating(double.CreateTruncating(g) * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * inner));
    }

    public float Fast(float x, float g)
    {
        float x2 = x * x;
        float s = 1f / (1f + MathF.Exp(-2f * Beta * MathF.FusedMultiplyAdd(Kappa * x, x2, x)));
        float inner = Beta * MathF.FusedMultiplyAdd(3f * Kappa, x2, 1f);
        return g * MathF.FusedMultiplyAdd(2f * x * s * (1f - s), inner, s);
    }

    public Vector256<float> Fast(Vector256<float> x, Vector256<float> g)
    {
        var one = Vector256<float>.One;
        var x2 = x * x;
        var u = Vector256.FusedMultiplyAdd(Vector256.Create(Kappa) * x, x2, x);
        var s = one / (one + Vector256.Exp(Vector256.Create(-2f * Beta) * u));
        var inner = Vector256.Create(Beta) * Vector256.FusedMultiplyAdd(Vector256.Create(3f * Kappa), x2, one);
        return g * Vector256.FusedMultiplyAdd(Vector256.Create(2f) * x * s * (one - s), inner, s);
    }

    public Vector512<float> Fast(Vector512<float> x, Vector512<float> g)
    {
        var one = Vector512<float>.One;
        var x2 = x * x;
        var u = Vector512.FusedMultiplyAdd(Vector512.Create(Kappa) * x, x2, x);
        var s = one / (one + Vector512.Exp(Vector512.Create(-2f * Beta) * u));
        var inner = Vector512.Create(Beta) * Vector512.FusedMultiplyAdd(Vector512.Create(3f * Kappa), x2, one);
        return g * Vector512.FusedMultiplyAdd(Vector512.Create(2f) * x * s * (one - s), inner, s);
    }
}

/// <summary>SiLU backward: dx = g·σ(x)·(1 + x·(1 − σ(x))).</summary>
internal readonly struct SiluGradOp : IFastMapOp
{
    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = T.One / (T.One + T.Exp(-x));
        return g * s * (T.One + x * (T.One - s));
    }

    public float Fast(float x, float g)
    {
        float s = 1f / (1f + MathF.Exp(-x));
        return g * s * MathF.FusedMultiplyAdd(x, 1f - s, 1f);
    }

    public Vector256<float> Fast(Vector256<float> x, Vector256<float> g)
    {
        var one = Vector256<float>.One;
        var s = one / (one + Vector256.Exp(-x));
        return g * s * Vector256.FusedMultiplyAdd(x, one - s, one);
    }

    public Vector512<float> Fast(Vector512<float> x, Vector512<float> g)
    {
        var one = Vector512<float>.One;
        var s = one / (one + Vector512.Exp(-x));
        return g * s * Vector512.FusedMultiplyAdd(x, one - s, one);
    }
}

/// <summary>Sigmoid backward from the output: dx = g·(1 − y)·y.</summary>
internal readonly struct SigmoidGradOp : IFastMapOp
{
    public T Reference<T>(T y, T g)
        where T : unmanaged, IFloatingPointIeee754<T> => g * (T.One - y) * y;

    public float Fast(float y, float g) => g * (1f - y) * y;

    public Vector256<float> Fast(Vector256<float> y, Vector256<float> g) => g * (Vector256<float>.One - y) * y;

    public Vector512<float> Fast(Vector512<float> y, Vector512<float> g) => g * (Vector512<float>.One - y) * y;
}

/// <summary>Tanh backward from the output: dx = g·(1 − y²).</summary>
internal readonly struct TanhGradOp : IFastMapOp
{
    public T Reference<T>(T y, T g)
        where T : unmanaged, IFloatingPointIeee754<T> => g * (T.One - y * y);

    public float Fast(float y, float g) => g * (1f - y * y);

    public Vector256<float> Fast(Vector256<float> y, Vector256<float> g) => g * (Vector256<float>.One - y * y);

    public Vector512<float> Fast(Vector512<float> y, Vector512<float> g) => g * (Vector512<float>.One - y * y);
}

/// <summary>
/// Hardswish backward (PyTorch): x &lt; −3 → 0; −3 ≤ x ≤ 3 → g·(x/3 + 0.5) = g·(2x + 3)/6; x &gt; 3 → g.
/// </summary>
internal readonly struct HardswishGradOp : IFastMapOp
{
    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T three = T.CreateTruncating(3);
        return x < -three ? T.Zero : x <= three ? g * (x / three + T.CreateTruncating(0.5)) : g;
    }

    public float Fast(float x, float g) => x < -3f ? 0f : x <= 3f ? g * (x / 3f + 0.5f) : g;

    public Vector256<float> Fast(Vector256<float> x, Vector256<float> g)
    {
        var three = Vector256.Create(3f);
        var mid = g * (x / three + Vector256.Create(0.5f));
        var r = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, three), mid, g);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, -three), Vector256<float>.Zero, r);
    }

    public Vector512<float> Fast(Vector512<float> x, Vector512<float> g)
    {
        var three = Vector512.Create(3f);
        var mid = g * (x / three + Vector512.Create(0.5f));
        var r = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, three), mid, g);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, -three), Vector512<float>.Zero, r);
    }
}

/// <summary>Hardsigmoid backward (PyTorch): g/6 strictly inside (−3, 3), 0 elsewhere (also at ±3).</summary>
internal readonly struct HardsigmoidGradOp : IFastMapOp
{
    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T three = T.CreateTruncating(3);
        return x > -three && x < three ? g * (T.One / T.CreateTruncating(6)) : T.Zero;
    }

    public float Fast(float x, float g) => x > -3f && x < 3f ? g * (1f / 6f) : 0f;

    public Vector256<float> Fast(Vector256<float> x, Vector256<float> g)
    {
        var inside = Vector256.GreaterThan(x, Vector256.Create(-3f)) & Vector256.LessThan(x, Vector256.Create(3f));
        return Vector256.ConditionalSelect(inside, g * Vector256.Create(1f / 6f), Vector256<float>.Zero);
    }

    public Vector512<float> Fast(Vector512<float> x, Vector512<float> g)
    {
        var inside = Vector512.GreaterThan(x, Vector512.Create(-3f)) & Vector512.LessThan(x, Vector512.Create(3f));
        return Vector512.ConditionalSelect(inside, g * Vector512.Create(1f / 6f), Vector512<float>.Zero);
    }
}

/// <summary>ELU backward from the input (PyTorch, is_result=false): x ≤ 0 → g·α·eˣ; otherwise g.</summary>
internal readonly struct EluGradOp(double alpha) : IFastMapOp
{
    private readonly double _alpha = alpha;

    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        x <= T.Zero ? g * T.CreateTruncating(_alpha) * T.Exp(x) : g;

    public float Fast(float x, float g) => x <= 0f ? g * (float)_alpha * MathF.Exp(x) : g;

    public Vector256<float> Fast(Vector256<float> x, Vector256<float> g) =>
        Vector256.ConditionalSelect(
            Vector256.LessThanOrEqual(x, Vector256<float>.Zero), g * Vector256.Create((float)_alpha) * Vector256.Exp(x), g);

    public Vector512<float> Fast(Vector512<float> x, Vector512<float> g) =>
        Vector512.ConditionalSelect(
            Vector512.LessThanOrEqual(x, Vector512<float>.Zero), g * Vector512.Create((float)_alpha) * Vector512.Exp(x), g);
}
