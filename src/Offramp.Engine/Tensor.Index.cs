using Offramp.Engine.Kernels;

namespace Offramp.Engine;

/// <summary>Gathering and joining: index select, concatenation, stacking.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The entries <paramref name="index"/>[0], [1], … along <paramref name="axis"/> (<c>torch.index_select</c>):
    /// the result has that dimension resized to <c>index.Length</c>. Indices may repeat; their gradients add up.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is 0-d.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// An index is outside [0, size); negative indices are rejected, as in PyTorch.
    /// </exception>
    [Differentiable("index_select")]
    public Tensor IndexSelect(int axis, int[] index)
    {
        if (Rank == 0)
        {
            throw new ArgumentException("index_select: cannot index a 0-d tensor");
        }

        int ax = Engine.Shape.NormAxis(axis, Rank);
        int n = Shape[ax];
        var idx = (int[])index.Clone(); // the backward keeps it: later changes by the caller must not leak in
        for (int k = 0; k < idx.Length; k++)
        {
            if ((uint)idx[k] >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(nameof(index),
                    $"index_select of {Engine.Shape.Format(Shape)} along axis {ax}: "
                    + $"index {idx[k]} at position {k} is out of range [0, {n})");
            }
        }

        var shape = (int[])Shape.Clone();
        shape[ax] = idx.Length;
        var (outer, _, inner) = Reduce.Split(Shape, ax);
        var r = Empty(shape, DType);
        if (DType == DType.Float32)
        {
            Movement.IndexSelect<float>(Span, idx, r.Span, outer, n, inner);
        }
        else
        {
            Movement.IndexSelect<double>(Data<double>(), idx, r.Data<double>(), outer, n, inner);
        }

        if (Autograd.ShouldRecord(this))
        {
            var src = Shape;
            var dtype = DType;
            Autograd.Record(r, "index_select", [this], g =>
            {
                var dx = Empty(src, dtype);
                if (dtype == DType.Float32)
                {
                    Movement.IndexAdd<float>(g.Span, idx, dx.Span, outer, n, inner);
                }
                else
                {
                    Movement.IndexAdd<double>(g.Data<double>(), idx, dx.Data<double>(), outer, n, inner);
                }

                return [dx];
            });
        }

        return r;
    }

    /// <summary>
    /// Joins tensors along an existing <paramref name="axis"/> (<c>torch.cat</c>). All must have the same type and
    /// rank (≥ 1) and agree in every other dimension; a part may be empty along the axis.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The list is empty, a tensor is 0-d, or types or shapes disagree (named in the message).
    /// </exception>
    [Differentiable("cat")]
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("cat: expected a non-empty list of tensors");
        }

        var first = tensors[0];
        if (first.Rank == 0)
        {
            throw new ArgumentException("cat: a 0-d tensor (at position 0) cannot be concatenated");
        }

        int ax = Engine.Shape.NormAxis(axis, first.Rank);
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            first.CheckSameDType(t, $"cat (tensor {i})");
            bool ok = t.Rank == first.Rank;
            for (int k = 0; ok && k < t.Rank; k++)
            {
                ok = k == ax || t.Shape[k] == first.Shape[k];
            }

            if (!ok)
            {
                throw new ArgumentException(
                    $"cat along axis {ax}: tensor {i} has shape {Engine.Shape.Format(t.Shape)} but tensor 0 has shape "
                    + $"{Engine.Shape.Format(first.Shape)}; all dims except {ax} must match");
            }

            total += t.Shape[ax];
        }

        var shape = (int[])first.Shape.Clone();
        shape[ax] = total;
        var (outer, _, inner) = Reduce.Split(shape, ax);
        var r = Empty(shape, first.DType);
        var offsets = new int[tensors.Count];
        for (int i = 0, off = 0; i < tensors.Count; off += tensors[i].Shape[ax], i++)
        {
            offsets[i] = off;
            var t = tensors[i];
            if (r.DType == DType.Float32)
            {
                Movement.CopyIntoAxis<float>(t.Span, r.Span, outer, t.Shape[ax], total, inner, off);
            }
            else
            {
                Movement.CopyIntoAxis<double>(t.Data<double>(), r.Data<double>(), outer, t.Shape[ax], total, inner, off);
            }
        }

        Tensor?[] inputs = [.. tensors];
        if (Autograd.ShouldRecord(inputs))
        {
            Autograd.Record(r, "cat", inputs, g =>
            {
                var grads = new Tensor?[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (inputs[i]!.RequiresGrad)
                    {
                        grads[i] = g.Slice(ax, offsets[i], offsets[i] + inputs[i]!.Shape[ax]);
                    }
                }

                return grads;
            });
        }

        return r;
    }

    /// <summary>
    /// Joins equally shaped tensors along a new dimension at <paramref name="axis"/> in [−rank−1, rank]
    /// (<c>torch.stack</c>). Composite of <see cref="Unsqueeze"/> and <see cref="Cat"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or the shapes differ (named in the message).</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("stack: expected a non-empty list of tensors");
        }

        var first = tensors[0];
        for (int i = 1; i < tensors.Count; i++)
        {
            if (!Engine.Shape.Equal(tensors[i].Shape, first.Shape))
            {
                throw new ArgumentException(
                    $"stack expects tensors of equal shape, but got {Engine.Shape.Format(first.Shape)} at entry 0 "
                    + $"and {Engine.Shape.Format(tensors[i].Shape)} at entry {i}");
            }
        }

        int ax = Engine.Shape.NormAxis(axis, first.Rank + 1);
        return Cat([.. tensors.Select(t => t.Unsqueeze(ax))], ax);
    }
}
