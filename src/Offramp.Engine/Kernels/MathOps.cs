namespace Offramp.Engine.Kernels;

// Element-wise math: unary ops TensorPrimitives vectorises (forwarded), broadcast binary ops for the
// Broadcast.Binary driver, and the scalar rules of their backward passes.

internal readonly struct ExpOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, d);
}

internal readonly struct LogOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, d);
}

internal readonly struct SqrtOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, d);
}

internal readonly struct AbsOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, d);
}

internal readonly struct SigmoidOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, d);
}

internal readonly struct TanhOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, d);
}

/// <summary>ReLU as max(x, 0): NaN propagates (IEEE maximum), as in PyTorch.</summary>
internal readonly struct ReluOp : ISpanUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
}

/// <summary>|x| backward: dx = g·sgn(x), with sgn(0) = 0 (PyTorch: grad * self.sgn()).</summary>
internal readonly struct AbsGradOp : IMapOp
{
    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? g : x < T.Zero ? -g : x * g;
}

/// <summary>Clamp backward: g where lo ≤ x ≤ hi, else 0 (PyTorch clamp_backward; NaN inputs get 0).</summary>
internal readonly struct ClampGradOp(double lo, double hi) : IMapOp
{
    private readonly double _lo = lo, _hi = hi;

    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        x >= T.CreateTruncating(_lo) && x <= T.CreateTruncating(_hi) ? g : T.Zero;
}

/// <summary>x^p backward for a scalar p: dx = g·p·x^(p−1), and 0 when p = 0 (PyTorch pow_backward).</summary>
internal readonly struct PowScalarGradOp(double p) : IMapOp
{
    private readonly double _p = p;

    public T Reference<T>(T x, T g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_p == 0)
        {
            return T.Zero;
        }

        T p = T.CreateTruncating(_p);
        return g * p * T.Pow(x, T.CreateTruncating(_p - 1));
    }
}

/// <summary>A scalar binary function; <see cref="Pointwise{TFn}"/> lifts it to an <see cref="IBinaryOp"/>.</summary>
internal interface IScalarBinaryFn
{
    static abstract T Invoke<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An <see cref="IBinaryOp"/> applying <typeparamref name="TFn"/> element by element (no SIMD).</summary>
internal readonly struct Pointwise<TFn> : IBinaryOp
    where TFn : IScalarBinaryFn
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TFn.Invoke(x[i], y[i]);
        }
    }

    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TFn.Invoke(x[i], y);
        }
    }

    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = TFn.Invoke(x, y[i]);
        }
    }
}

/// <summary>aᵇ, element-wise with broadcasting (negative bases with integral exponents are fine).</summary>
internal readonly struct PowOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, y, d);
}

/// <summary>Element-wise minimum; NaN propagates (IEEE 754 minimum, as torch.minimum).</summary>
internal readonly struct MinimumOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(y, x, d);
}

/// <summary>Element-wise maximum; NaN propagates (IEEE 754 maximum, as torch.maximum).</summary>
internal readonly struct MaximumOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(y, x, d);
}

/// <summary>
/// Share of maximum(a, b)'s gradient that goes to a: 0 where a &lt; b, ½ on ties, 1 otherwise (PyTorch:
/// <c>where(self == other, grad / 2, grad).masked_fill_(self &lt; other, 0)</c>). b's share is this with a, b swapped.
/// </summary>
internal readonly struct MaximumShareFn : IScalarBinaryFn
{
    public static T Invoke<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> => a < b ? T.Zero : a == b ? T.CreateTruncating(0.5) : T.One;
}

/// <summary>Share of minimum(a, b)'s gradient that goes to a: 0 where a &gt; b, ½ on ties, 1 otherwise.</summary>
internal readonly struct MinimumShareFn : IScalarBinaryFn
{
    public static T Invoke<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> => a > b ? T.Zero : a == b ? T.CreateTruncating(0.5) : T.One;
}

/// <summary>∂aᵇ/∂a = b·a^(b−1), and 0 where b = 0 (PyTorch pow_backward_self).</summary>
internal readonly struct PowBaseGradFn : IScalarBinaryFn
{
    public static T Invoke<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> => b == T.Zero ? T.Zero : b * T.Pow(a, b - T.One);
}

/// <summary>∂aᵇ/∂b = aᵇ·ln(a), and 0 where a = 0 and b ≥ 0 (PyTorch pow_backward_exponent).</summary>
internal readonly struct PowExponentGradFn : IScalarBinaryFn
{
    public static T Invoke<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> => a == T.Zero && b >= T.Zero ? T.Zero : T.Pow(a, b) * T.Log(a);
}

/// <summary>Element-wise kernels built from several TensorPrimitives calls.</summary>
internal static class MathKernels
{
    // x: (N) → d: (N); d = min(max(x, lo), hi), a bound skipped when null. lo &gt; hi gives hi everywhere (PyTorch).
    public static void Clamp<T>(ReadOnlySpan<T> x, Span<T> d, double? lo, double? hi)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (lo is double l)
        {
            TensorPrimitives.Max(x, T.CreateTruncating(l), d);
            x = d;
        }

        if (hi is double h)
        {
            TensorPrimitives.Min(x, T.CreateTruncating(h), d);
        }
    }

    // x: (N) → d: (N); d = x^p. p = 2 takes the exact product x·x.
    public static void Pow<T>(ReadOnlySpan<T> x, Span<T> d, double p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p == 2)
        {
            TensorPrimitives.Multiply(x, x, d);
        }
        else
        {
            TensorPrimitives.Pow(x, T.CreateTruncating(p), d);
        }
    }
}
