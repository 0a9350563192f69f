using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine;

/// <summary>Element-wise math: powers, exp/log, sqrt, abs, clamp, minimum/maximum, with their backward rules.</summary>
public sealed partial class Tensor
{
    /// <summary>Applies a TensorPrimitives-backed unary op to a new tensor of this shape and type.</summary>
    internal Tensor UnaryKernel<TOp>()
        where TOp : ISpanUnaryOp
    {
        var r = Empty(Shape, DType);
        if (DType == DType.Float32)
        {
            TOp.Apply<float>(Span, r.Span);
        }
        else
        {
            TOp.Apply<double>(Data<double>(), r.Data<double>());
        }

        return r;
    }

    /// <summary>Applies a unary op: float32 through its SIMD form, float64 through its reference form.</summary>
    internal Tensor MapKernel<TOp>(TOp op)
        where TOp : struct, IFastUnaryOp
    {
        var r = Empty(Shape, DType);
        if (DType == DType.Float32)
        {
            Elementwise.Map(Span, r.Span, op);
        }
        else
        {
            ElementwiseReference.Map<double, TOp>(Data<double>(), r.Data<double>(), op);
        }

        return r;
    }

    /// <summary>Applies a map op to two tensors of one shape (a backward rule): float32 through its SIMD form.</summary>
    internal static Tensor MapKernel<TOp>(Tensor a, Tensor b, TOp op)
        where TOp : struct, IFastMapOp
    {
        Debug.Assert(Engine.Shape.Equal(a.Shape, b.Shape) && a.DType == b.DType);
        var r = Empty(a.Shape, a.DType);
        if (a.DType == DType.Float32)
        {
            Elementwise.Map(a.Span, b.Span, r.Span, op);
        }
        else
        {
            ElementwiseReference.Map<double, TOp>(a.Data<double>(), b.Data<double>(), r.Data<double>(), op);
        }

        return r;
    }

    /// <summary>Applies a map op that has only a scalar form to two tensors of one shape.</summary>
    internal static Tensor MapGenericKernel<TOp>(Tensor a, Tensor b, TOp op)
        where TOp : struct, IMapOp
    {
        Debug.Assert(Engine.Shape.Equal(a.Shape, b.Shape) && a.DType == b.DType);
        var r = Empty(a.Shape, a.DType);
        if (a.DType == DType.Float32)
        {
            ElementwiseReference.Map<float, TOp>(a.Span, b.Span, r.Span, op);
        }
        else
        {
            ElementwiseReference.Map<double, TOp>(a.Data<double>(), b.Data<double>(), r.Data<double>(), op);
        }

        return r;
    }

    /// <summary>Raises every element to <paramref name="exponent"/> (<c>torch.pow(x, p)</c>).</summary>
    /// <remarks>Negative bases with integral exponents give real results; backward is g·p·x^(p−1) (0 for p = 0).</remarks>
    [Differentiable("pow")]
    public Tensor Pow(double exponent)
    {
        var r = Empty(Shape, DType);
        if (DType == DType.Float32)
        {
            MathKernels.Pow<float>(Span, r.Span, exponent);
        }
        else
        {
            MathKernels.Pow<double>(Data<double>(), r.Data<double>(), exponent);
        }

        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "pow", [x], g => [MapGenericKernel(x, g, new PowScalarGradOp(exponent))]);
        }

        return r;
    }

    /// <summary>Element-wise power with broadcasting (<c>torch.pow(a, b)</c>); the shapes must broadcast.</summary>
    /// <remarks>
    /// Backward (PyTorch): ∂/∂a = b·a^(b−1) (0 where b = 0); ∂/∂b = aᵇ·ln(a) (0 where a = 0 and b ≥ 0).
    /// </remarks>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the types differ.</exception>
    [Differentiable("pow_tensor")]
    public Tensor Pow(Tensor exponent)
    {
        var r = BinaryKernel<PowOp>(this, exponent, "pow");
        if (Autograd.ShouldRecord(this, exponent))
        {
            var (a, b) = (this, exponent);
            Autograd.Record(r, "pow_tensor", [a, b], g => [
                a.RequiresGrad ? g.Mul(BinaryKernel<Pointwise<PowBaseGradFn>>(a, b, "pow")).SumTo(a.Shape) : null,
                b.RequiresGrad ? g.Mul(BinaryKernel<Pointwise<PowExponentGradFn>>(a, b, "pow")).SumTo(b.Shape) : null]);
        }

        return r;
    }

    /// <summary>eˣ element-wise (<c>torch.exp</c>).</summary>
    [Differentiable("exp")]
    public Tensor Exp()
    {
        var r = UnaryKernel<ExpOp>();
        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "exp", [this], g => [g.Mul(r)]);
        }

        return r;
    }

    /// <summary>Natural logarithm element-wise (<c>torch.log</c>): −∞ at 0, NaN below.</summary>
    [Differentiable("log")]
    public Tensor Log()
    {
        var r = UnaryKernel<LogOp>();
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "log", [x], g => [g.Div(x)]);
        }

        return r;
    }

    /// <summary>Square root element-wise (<c>torch.sqrt</c>); backward g/(2√x).</summary>
    [Differentiable("sqrt")]
    public Tensor Sqrt()
    {
        var r = UnaryKernel<SqrtOp>();
        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "sqrt", [this], g => [g.Div(r.Mul(2.0))]);
        }

        return r;
    }

    /// <summary>Absolute value element-wise (<c>torch.abs</c>); backward g·sgn(x), 0 at x = 0.</summary>
    [Differentiable("abs")]
    public Tensor Abs()
    {
        var r = UnaryKernel<AbsOp>();
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "abs", [x], g => [MapGenericKernel(x, g, default(AbsGradOp))]);
        }

        return r;
    }

    /// <summary>
    /// Clamps every element into [<paramref name="min"/>, <paramref name="max"/>] (<c>torch.clamp</c>); a null
    /// bound is not applied. As in PyTorch, min &gt; max sets every element to max, and NaN stays NaN.
    /// </summary>
    /// <remarks>Backward passes the gradient where min ≤ x ≤ max (bounds included) and is 0 elsewhere.</remarks>
    /// <exception cref="ArgumentException">Both bounds are null.</exception>
    [Differentiable("clamp")]
    public Tensor Clamp(double? min, double? max)
    {
        if (min is null && max is null)
        {
            throw new ArgumentException($"clamp of {Engine.Shape.Format(Shape)}: at least one of min and max must be given");
        }

        var r = Empty(Shape, DType);
        if (DType == DType.Float32)
        {
            MathKernels.Clamp<float>(Span, r.Span, min, max);
        }
        else
        {
            MathKernels.Clamp<double>(Data<double>(), r.Data<double>(), min, max);
        }

        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            var op = new ClampGradOp(min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
            Autograd.Record(r, "clamp", [x], g => [MapGenericKernel(x, g, op)]);
        }

        return r;
    }

    /// <summary>Element-wise minimum with broadcasting (<c>torch.minimum</c>); NaN propagates.</summary>
    /// <remarks>On ties the gradient is split half/half between the inputs, as in PyTorch.</remarks>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the types differ.</exception>
    [Differentiable("minimum")]
    public Tensor Minimum(Tensor other)
    {
        var r = BinaryKernel<MinimumOp>(this, other, "minimum");
        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "minimum", [a, b], g => [
                a.RequiresGrad ? g.Mul(BinaryKernel<Pointwise<MinimumShareFn>>(a, b, "minimum")).SumTo(a.Shape) : null,
                b.RequiresGrad ? g.Mul(BinaryKernel<Pointwise<MinimumShareFn>>(b, a, "minimum")).SumTo(b.Shape) : null]);
        }

        return r;
    }

    /// <summary>Element-wise maximum with broadcasting (<c>torch.maximum</c>); NaN propagates.</summary>
    /// <remarks>On ties the gradient is split half/half between the inputs, as in PyTorch.</remarks>
    /// <exception cref="ArgumentException">The shapes do not broadcast or the types differ.</exception>
    [Differentiable("maximum")]
    public Tensor Maximum(Tensor other)
    {
        var r = BinaryKernel<MaximumOp>(this, other, "maximum");
        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "maximum", [a, b], g => [
                a.RequiresGrad ? g.Mul(BinaryKernel<Pointwise<MaximumShareFn>>(a, b, "maximum")).SumTo(a.Shape) : null,
                b.RequiresGrad ? g.Mul(BinaryKernel<Pointwise<MaximumShareFn>>(b, a, "maximum")).SumTo(b.Shape) : null]);
        }

        return r;
    }
}
