using Offramp.Engine.Kernels;

namespace Offramp.Engine;

/// <summary>Reductions along axes.</summary>
public sealed partial class Tensor
{
    /// <summary>Normalises and sorts reduction axes; an empty list means every axis.</summary>
    internal int[] ReductionAxes(int[]? axes)
    {
        if (axes is null || axes.Length == 0)
        {
            return [.. Enumerable.Range(0, Rank)];
        }

        var r = axes.Select(a => Engine.Shape.NormAxis(a, Rank)).Distinct().Order().ToArray();
        if (r.Length != axes.Length)
        {
            throw new ArgumentException($"repeated axis in [{string.Join(", ", axes)}]");
        }

        return r;
    }

    /// <summary>The shape after reducing <paramref name="axes"/> (kept as size 1 when <paramref name="keepDim"/>).</summary>
    internal int[] ReducedShape(int[] axes, bool keepDim)
    {
        var s = new List<int>(Rank);
        for (int i = 0; i < Rank; i++)
        {
            if (Array.IndexOf(axes, i) < 0)
            {
                s.Add(Shape[i]);
            }
            else if (keepDim)
            {
                s.Add(1);
            }
        }

        return [.. s];
    }

    /// <summary>Sum of every element, as a scalar tensor.</summary>
    public Tensor Sum() => Sum(null, false);

    /// <summary>Sum over <paramref name="axes"/> (all when null or empty), <c>torch.sum(dim, keepdim)</c>.</summary>
    [Differentiable("sum")]
    public Tensor Sum(int[]? axes, bool keepDim = false)
    {
        var ax = ReductionAxes(axes);
        var keptShape = ReducedShape(ax, keepDim: true);
        Tensor cur = this;
        var curShape = (int[])Shape.Clone();
        for (int k = ax.Length - 1; k >= 0; k--)
        {
            int axis = ax[k];
            var (o, rr, inner) = Reduce.Split(curShape, axis);
            curShape[axis] = 1;
            var next = Empty(curShape, DType);
            if (DType == DType.Float32)
            {
                Reduce.SumAxis<float>(cur.Span, next.Span, o, rr, inner);
            }
            else
            {
                Reduce.SumAxis<double>(cur.Data<double>(), next.Data<double>(), o, rr, inner);
            }

            cur = next;
        }

        if (ax.Length == 0)
        {
            cur = CloneData();
        }

        var r = cur.ViewAs(keepDim ? keptShape : ReducedShape(ax, false));
        if (Autograd.ShouldRecord(this))
        {
            var src = this;
            Autograd.Record(r, "sum", [src], g => [g.Reshape(keptShape).Expand(src.Shape)]);
        }

        return r;
    }

    /// <summary>Mean of every element, as a scalar tensor.</summary>
    public Tensor Mean() => Mean(null, false);

    /// <summary>Mean over <paramref name="axes"/> (all when null or empty). Composite: gradient from Sum.</summary>
    public Tensor Mean(int[]? axes, bool keepDim = false)
    {
        var ax = ReductionAxes(axes);
        long count = 1;
        foreach (var a in ax)
        {
            count *= Shape[a];
        }

        return Sum(ax, keepDim).Mul(1.0 / count);
    }

    /// <summary>
    /// Variance over <paramref name="axes"/> (all when null or empty), <c>torch.var(dim, correction, keepdim)</c>:
    /// Σ(x − mean)² / max(0, N − <paramref name="correction"/>); correction 1 is the unbiased estimate, 0 the
    /// population variance. N − correction ≤ 0 gives NaN or ∞, as in PyTorch.
    /// </summary>
    /// <remarks>Two passes (mean, then squared deviations). Backward: g·2(x − mean)/(N − correction).</remarks>
    [Differentiable("var")]
    public Tensor Var(int[]? axes, bool keepDim = false, int correction = 1)
    {
        var ax = ReductionAxes(axes);
        long count = 1;
        foreach (var a in ax)
        {
            count *= Shape[a];
        }

        double denom = Math.Max(0, count - correction);
        var keptShape = ReducedShape(ax, keepDim: true);
        Tensor r;
        using (Autograd.NoGrad())
        {
            var centered = Sub(Mean(ax, keepDim: true));
            r = centered.Mul(centered).Sum(ax, keepDim).Div(denom);
        }

        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "var", [x], g => [x.Sub(x.Mean(ax, keepDim: true)).Mul(g.Reshape(keptShape)).Mul(2.0 / denom)]);
        }

        return r;
    }

    /// <summary>
    /// Largest value along <paramref name="axis"/> (the values of <c>torch.max(x, dim, keepdim)</c>). NaN wins.
    /// The gradient goes to the first index holding the maximum, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The axis has size 0.</exception>
    [Differentiable("max")]
    public Tensor Max(int axis, bool keepDim = false) => ExtremeAlong<MaxExtremum>(axis, keepDim, "max").Values;

    /// <summary>
    /// Smallest value along <paramref name="axis"/> (the values of <c>torch.min(x, dim, keepdim)</c>). NaN wins.
    /// The gradient goes to the first index holding the minimum, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The axis has size 0.</exception>
    [Differentiable("min")]
    public Tensor Min(int axis, bool keepDim = false) => ExtremeAlong<MinExtremum>(axis, keepDim, "min").Values;

    /// <summary>
    /// Index of the largest value along <paramref name="axis"/>, first occurrence on ties (NaN counts as largest),
    /// <c>torch.argmax(dim)</c>; row-major over the remaining dimensions.
    /// </summary>
    /// <exception cref="ArgumentException">The axis has size 0.</exception>
    public int[] ArgMax(int axis)
    {
        using (Autograd.NoGrad())
        {
            return ExtremeAlong<MaxExtremum>(axis, false, "argmax").Indices;
        }
    }

    /// <summary>
    /// Index of the smallest value along <paramref name="axis"/>, first occurrence on ties (<c>torch.argmin(dim)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The axis has size 0.</exception>
    public int[] ArgMin(int axis)
    {
        using (Autograd.NoGrad())
        {
            return ExtremeAlong<MinExtremum>(axis, false, "argmin").Indices;
        }
    }

    private (Tensor Values, int[] Indices) ExtremeAlong<TCmp>(int axis, bool keepDim, string op)
        where TCmp : IExtremum
    {
        int ax = Engine.Shape.NormAxis(axis, Rank);
        var inShape = Rank == 0 ? [1] : Shape; // a 0-d tensor reduces like shape (1,) and stays 0-d
        if (inShape[ax] == 0)
        {
            throw new ArgumentException($"{op} of {Engine.Shape.Format(Shape)}: cannot reduce the empty axis {ax}");
        }

        var (outer, n, inner) = Reduce.Split(inShape, ax);
        var outShape = Rank == 0 ? [] : ReducedShape([ax], keepDim);
        var r = Empty(outShape, DType);
        var idx = new int[outer * inner];
        if (DType == DType.Float32)
        {
            Reduce.ArgExtremeAxis<float, TCmp>(Span, r.Span, idx, outer, n, inner);
        }
        else
        {
            Reduce.ArgExtremeAxis<double, TCmp>(Data<double>(), r.Data<double>(), idx, outer, n, inner);
        }

        if (Autograd.ShouldRecord(this))
        {
            var (src, dtype) = (Shape, DType);
            Autograd.Record(r, op, [this], g =>
            {
                var dx = Empty(src, dtype);
                if (dtype == DType.Float32)
                {
                    Reduce.ScatterAxis<float>(g.Span, idx, dx.Span, outer, n, inner);
                }
                else
                {
                    Reduce.ScatterAxis<double>(g.Data<double>(), idx, dx.Data<double>(), outer, n, inner);
                }

                return [dx];
            });
        }

        return (r, idx);
    }

    /// <summary>
    /// log Σ exp(x) over <paramref name="axes"/> (all when empty), <c>torch.logsumexp(dim, keepdim)</c>, computed
    /// stably as m + log Σ exp(x − m) with m the maximum (an infinite maximum is replaced by 0, as in PyTorch).
    /// </summary>
    /// <remarks>Backward: g·exp(x − result), the softmax over the reduced axes.</remarks>
    [Differentiable("logsumexp")]
    public Tensor LogSumExp(int[] axes, bool keepDim = false)
    {
        var ax = ReductionAxes(axes);
        var keptShape = ReducedShape(ax, keepDim: true);
        Tensor r;
        using (Autograd.NoGrad())
        {
            var m = Numel == 0 ? Zeros(keptShape, DType) : MaxKeepDim(ax);
            if (DType == DType.Float32)
            {
                Reduce.ZeroInfinities<float>(m.Span);
            }
            else
            {
                Reduce.ZeroInfinities<double>(m.Data<double>());
            }

            r = Sub(m).Exp().Sum(ax, keepDim: true).Log().Add(m);
            if (!keepDim)
            {
                r = r.Reshape(ReducedShape(ax, keepDim: false));
            }
        }

        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "logsumexp", [x], g => [x.Sub(r.Reshape(keptShape)).Exp().Mul(g.Reshape(keptShape))]);
        }

        return r;
    }

    /// <summary>The maximum over <paramref name="axes"/> (sorted, non-empty tensor), keeping the reduced dims as 1.</summary>
    private Tensor MaxKeepDim(int[] axes)
    {
        Tensor cur = this;
        var curShape = (int[])Shape.Clone();
        foreach (int axis in axes)
        {
            var (o, rr, inner) = Reduce.Split(curShape, axis);
            curShape[axis] = 1;
            var next = Empty(curShape, DType);
            if (DType == DType.Float32)
            {
                Reduce.MaxAxis<float>(cur.Span, next.Span, o, rr, inner);
            }
            else
            {
                Reduce.MaxAxis<double>(cur.Data<double>(), next.Data<double>(), o, rr, inner);
            }

            cur = next;
        }

        return axes.Length == 0 ? CloneData() : cur;
    }
}
