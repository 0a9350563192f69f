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
}
