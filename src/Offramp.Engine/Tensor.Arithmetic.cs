using Offramp.Engine.Kernels;

namespace Offramp.Engine;

/// <summary>Broadcasting arithmetic: +, −, ×, ÷ with their backward rules.</summary>
public sealed partial class Tensor
{
    internal static Tensor BinaryKernel<TOp>(Tensor a, Tensor b, string op)
        where TOp : IBinaryOp
    {
        a.CheckSameDType(b, op);
        var shape = Engine.Shape.Broadcast(a.Shape, b.Shape);
        var r = Empty(shape, a.DType);
        if (a.DType == DType.Float32)
        {
            Broadcast.Binary<float, TOp>(a.Span, a.Shape, b.Span, b.Shape, r.Span, shape);
        }
        else
        {
            Broadcast.Binary<double, TOp>(a.Data<double>(), a.Shape, b.Data<double>(), b.Shape, r.Data<double>(), shape);
        }

        return r;
    }

    /// <summary>Element-wise sum with broadcasting (<c>torch.add</c>).</summary>
    [Differentiable("add")]
    public Tensor Add(Tensor other)
    {
        var r = BinaryKernel<AddOp>(this, other, "add");
        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "add", [a, b], g => [g.SumTo(a.Shape), g.SumTo(b.Shape)]);
        }

        return r;
    }

    /// <summary>Element-wise difference with broadcasting (<c>torch.sub</c>).</summary>
    [Differentiable("sub")]
    public Tensor Sub(Tensor other)
    {
        var r = BinaryKernel<SubOp>(this, other, "sub");
        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "sub", [a, b], g => [g.SumTo(a.Shape), b.RequiresGrad ? g.SumTo(b.Shape).Neg() : null]);
        }

        return r;
    }

    /// <summary>Element-wise product with broadcasting (<c>torch.mul</c>).</summary>
    [Differentiable("mul")]
    public Tensor Mul(Tensor other)
    {
        var r = BinaryKernel<MulOp>(this, other, "mul");
        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "mul", [a, b], g => [
                a.RequiresGrad ? g.Mul(b).SumTo(a.Shape) : null,
                b.RequiresGrad ? g.Mul(a).SumTo(b.Shape) : null]);
        }

        return r;
    }

    /// <summary>Element-wise quotient with broadcasting (<c>torch.div</c>).</summary>
    [Differentiable("div")]
    public Tensor Div(Tensor other)
    {
        var r = BinaryKernel<DivOp>(this, other, "div");
        if (Autograd.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Autograd.Record(r, "div", [a, b], g => [
                a.RequiresGrad ? g.Div(b).SumTo(a.Shape) : null,
                b.RequiresGrad ? g.Mul(r).Div(b).Neg().SumTo(b.Shape) : null]);
        }

        return r;
    }

    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double s) => Add(Scalar(s, DType));

    /// <summary>Subtracts a scalar.</summary>
    public Tensor Sub(double s) => Add(Scalar(-s, DType));

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double s) => Mul(Scalar(s, DType));

    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double s) => Mul(Scalar(1.0 / s, DType));

    /// <summary>Negation (<c>torch.neg</c>).</summary>
    [Differentiable("neg")]
    public Tensor Neg()
    {
        var r = Empty(Shape, DType);
        if (DType == DType.Float32)
        {
            TensorPrimitives.Negate(Span, r.Span);
        }
        else
        {
            TensorPrimitives.Negate(Data<double>(), r.Data<double>());
        }

        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "neg", [this], g => [g.Neg()]);
        }

        return r;
    }

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>a − b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>a × b (element-wise).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>a ÷ b (element-wise).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);

    /// <summary>a − s.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);

    /// <summary>a × s.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);

    /// <summary>s × a.</summary>
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);

    /// <summary>a ÷ s.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);

    /// <summary>
    /// In place: this += <paramref name="other"/> (broadcast to this shape). Not recorded: for gradient
    /// accumulation and optimizer updates. Throws when this tensor takes part in a recorded graph.
    /// </summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1.0)
    {
        CheckInPlace("AddInPlace");
        CheckSameDType(other, "AddInPlace");
        if (Numel == other.Numel)
        {
            if (DType == DType.Float32)
            {
                if (alpha == 1.0)
                {
                    TensorPrimitives.Add(Span, other.Span, Span);
                }
                else
                {
                    TensorPrimitives.MultiplyAdd(other.Span, (float)alpha, Span, Span);
                }
            }
            else
            {
                TensorPrimitives.MultiplyAdd(other.Data<double>(), alpha, Data<double>(), Data<double>());
            }

            return this;
        }

        Tensor sum;
        using (Autograd.NoGrad())
        {
            sum = Add(alpha == 1.0 ? other : other.Mul(alpha));
        }

        if (!Engine.Shape.Equal(sum.Shape, Shape))
        {
            throw new ArgumentException($"AddInPlace: {Engine.Shape.Format(other.Shape)} does not broadcast to {Engine.Shape.Format(Shape)}");
        }

        sum.CopyDataTo(this);
        return this;
    }

    /// <summary>In place: this *= <paramref name="s"/>. Not recorded.</summary>
    public Tensor MulInPlace(double s)
    {
        CheckInPlace("MulInPlace");
        if (DType == DType.Float32)
        {
            TensorPrimitives.Multiply(Span, (float)s, Span);
        }
        else
        {
            TensorPrimitives.Multiply(Data<double>(), s, Data<double>());
        }

        return this;
    }

    private void CheckInPlace(string op)
    {
        if (Autograd.IsEnabled && RequiresGrad)
        {
            throw new InvalidOperationException($"{op} on a tensor that requires grad while recording; wrap it in Autograd.NoGrad()");
        }
    }

    /// <summary>
    /// Sums a broadcast gradient back to <paramref name="shape"/> (the reverse of broadcasting). Returns this
    /// tensor when the shapes already agree.
    /// </summary>
    public Tensor SumTo(int[] shape)
    {
        if (Engine.Shape.Equal(Shape, shape))
        {
            return this;
        }

        int lead = Rank - shape.Length;
        if (lead < 0)
        {
            throw new ArgumentException($"SumTo: cannot reduce {Engine.Shape.Format(Shape)} to larger rank {Engine.Shape.Format(shape)}");
        }

        var axes = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (i < lead || (shape[i - lead] == 1 && Shape[i] != 1))
            {
                axes.Add(i);
            }
            else if (shape[i - lead] != Shape[i])
            {
                throw new ArgumentException($"SumTo: {Engine.Shape.Format(Shape)} is not a broadcast of {Engine.Shape.Format(shape)}");
            }
        }

        return Sum([.. axes], keepDim: true).Reshape(shape);
    }
}
