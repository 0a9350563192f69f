using Offramp.Engine.Kernels;

namespace Offramp.Engine;

/// <summary>Shape and layout changes.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with another shape, sharing storage (<c>torch.reshape</c> on a contiguous tensor).
    /// One dimension may be -1 and is inferred.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ; the message names both shapes.</exception>
    [Differentiable("reshape")]
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            if (Array.IndexOf(s, -1, infer + 1) >= 0)
            {
                throw new ArgumentException($"reshape {Engine.Shape.Format(Shape)} to {Engine.Shape.Format(shape)}: only one dimension can be -1");
            }

            int known = 1;
            for (int i = 0; i < s.Length; i++)
            {
                if (i != infer)
                {
                    known *= s[i];
                }
            }

            if (known == 0 || Numel % known != 0)
            {
                throw new ArgumentException($"cannot reshape {Engine.Shape.Format(Shape)} ({Numel} elements) to {Engine.Shape.Format(shape)}");
            }

            s[infer] = Numel / known;
        }

        if (Engine.Shape.Numel(s) != Numel)
        {
            throw new ArgumentException($"cannot reshape {Engine.Shape.Format(Shape)} ({Numel} elements) to {Engine.Shape.Format(s)}");
        }

        var r = ViewAs(s);
        if (Autograd.ShouldRecord(this))
        {
            var src = Shape;
            Autograd.Record(r, "reshape", [this], g => [g.Reshape(src)]);
        }

        return r;
    }

    /// <summary>Alias of <see cref="Reshape(int[])"/>: storage is always contiguous, so a view always exists.</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>
    /// Broadcasts to <paramref name="shape"/> by repeating size-1 (or missing leading) dims (<c>expand</c>);
    /// the result is a new contiguous tensor. Backward sums back.
    /// </summary>
    [Differentiable("expand")]
    public Tensor Expand(params int[] shape)
    {
        var target = Engine.Shape.Broadcast(Shape, shape);
        if (!Engine.Shape.Equal(target, shape))
        {
            throw new ArgumentException($"cannot expand {Engine.Shape.Format(Shape)} to {Engine.Shape.Format(shape)}");
        }

        Tensor r;
        using (Autograd.NoGrad())
        {
            r = Zeros(shape, DType).AddInPlaceBroadcast(this);
        }

        if (Autograd.ShouldRecord(this))
        {
            var src = Shape;
            Autograd.Record(r, "expand", [this], g => [g.SumTo(src)]);
        }

        return r;
    }

    private Tensor AddInPlaceBroadcast(Tensor other)
    {
        var r = BinaryKernel<Kernels.AddOp>(this, other, "expand");
        r.CopyDataTo(this);
        return this;
    }

    /// <summary>
    /// Reorders the dimensions (<c>torch.permute</c>): dimension k of the result is dimension
    /// <paramref name="dims"/>[k] of this tensor. Negative entries count from the end. Returns a new contiguous tensor.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of this tensor's axes.</exception>
    [Differentiable("permute")]
    public Tensor Permute(params int[] dims)
    {
        var perm = CheckPermutation(dims);
        var shape = new int[Rank];
        var inverse = new int[Rank];
        for (int k = 0; k < Rank; k++)
        {
            shape[k] = Shape[perm[k]];
            inverse[perm[k]] = k;
        }

        var r = Empty(shape, DType);
        if (DType == DType.Float32)
        {
            Movement.Permute<float>(Span, r.Span, Shape, perm);
        }
        else
        {
            Movement.Permute<double>(Data<double>(), r.Data<double>(), Shape, perm);
        }

        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "permute", [this], g => [g.Permute(inverse)]);
        }

        return r;
    }

    private int[] CheckPermutation(int[] dims)
    {
        var perm = new int[dims.Length];
        var seen = new bool[Rank];
        bool ok = dims.Length == Rank;
        for (int k = 0; ok && k < dims.Length; k++)
        {
            int a = dims[k] < 0 ? dims[k] + Rank : dims[k];
            ok = a >= 0 && a < Rank && !seen[a];
            if (ok)
            {
                seen[a] = true;
                perm[k] = a;
            }
        }

        if (!ok)
        {
            throw new ArgumentException($"permute: dims [{string.Join(", ", dims)}] is not a permutation "
                + $"of the {Rank} axes of a tensor of shape {Engine.Shape.Format(Shape)}");
        }

        return perm;
    }

    /// <summary>Swaps two dimensions (<c>torch.transpose</c>); a new contiguous tensor. Composite of Permute.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An axis is out of range.</exception>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        int a = Engine.Shape.NormAxis(dim0, Rank), b = Engine.Shape.NormAxis(dim1, Rank);
        if (Rank > 0)
        {
            (perm[a], perm[b]) = (perm[b], perm[a]);
        }

        return Permute(perm);
    }

    /// <summary>
    /// Elements <paramref name="start"/>, start + step, … before <paramref name="end"/> along
    /// <paramref name="axis"/> (Python's <c>x[..., start:end:step]</c>): negative start/end count from the end and
    /// both are clamped to [0, size], so <c>int.MaxValue</c> means "to the end". Returns a new contiguous tensor.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> is not positive, or the tensor is a scalar.</exception>
    [Differentiable("slice")]
    public Tensor Slice(int axis, int start, int end, int step = 1)
    {
        if (Rank == 0)
        {
            throw new ArgumentException("slice: cannot slice a 0-d tensor");
        }

        int ax = Engine.Shape.NormAxis(axis, Rank);
        int n = Shape[ax];
        if (step <= 0)
        {
            throw new ArgumentException(
                $"slice of {Engine.Shape.Format(Shape)} along axis {ax}: step must be positive, got {step}");
        }

        long s = start < 0 ? (long)start + n : start, e = end < 0 ? (long)end + n : end;
        s = Math.Clamp(s, 0, n);
        e = Math.Clamp(e, 0, n);
        int first = (int)s;
        int len = e > s ? (int)((e - s + step - 1) / step) : 0;
        var shape = (int[])Shape.Clone();
        shape[ax] = len;
        var (outer, _, inner) = Reduce.Split(Shape, ax);
        var r = Empty(shape, DType);
        if (DType == DType.Float32)
        {
            Movement.SliceAxis<float>(Span, r.Span, outer, n, inner, first, step, len);
        }
        else
        {
            Movement.SliceAxis<double>(Data<double>(), r.Data<double>(), outer, n, inner, first, step, len);
        }

        if (Autograd.ShouldRecord(this))
        {
            var src = Shape;
            var dtype = DType;
            Autograd.Record(r, "slice", [this], g =>
            {
                var dx = Empty(src, dtype);
                if (dtype == DType.Float32)
                {
                    Movement.SliceAxisBackward<float>(g.Span, dx.Span, outer, n, inner, first, step, len);
                }
                else
                {
                    Movement.SliceAxisBackward<double>(g.Data<double>(), dx.Data<double>(), outer, n, inner, first, step, len);
                }

                return [dx];
            });
        }

        return r;
    }

    /// <summary>
    /// <paramref name="length"/> elements from <paramref name="start"/> along <paramref name="axis"/>
    /// (<c>torch.narrow</c>; a negative start counts from the end). Composite of <see cref="Slice"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in the dimension.</exception>
    public Tensor Narrow(int axis, int start, int length)
    {
        int ax = Engine.Shape.NormAxis(axis, Rank);
        int n = Rank == 0 ? 1 : Shape[ax];
        int s = start < 0 ? start + n : start;
        if (s < 0 || length < 0 || s > n - length)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"narrow of {Engine.Shape.Format(Shape)} along axis {ax}: start {start} and length {length} exceed size {n}");
        }

        return Slice(ax, s, s + length);
    }

    /// <summary>
    /// Merges dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (<c>torch.flatten</c>);
    /// shares storage. A 0-d tensor becomes shape (1,).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="startDim"/> comes after <paramref name="endDim"/>.</exception>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0)
        {
            return Reshape(1);
        }

        int s = Engine.Shape.NormAxis(startDim, Rank), e = Engine.Shape.NormAxis(endDim, Rank);
        if (s > e)
        {
            throw new ArgumentException(
                $"flatten of {Engine.Shape.Format(Shape)}: start_dim {startDim} comes after end_dim {endDim}");
        }

        var shape = new List<int>(Rank);
        shape.AddRange(Shape[..s]);
        shape.Add(Engine.Shape.Numel(Shape.AsSpan(s, e - s + 1)));
        shape.AddRange(Shape[(e + 1)..]);
        return Reshape([.. shape]);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="axis"/> in [−rank−1, rank] (<c>torch.unsqueeze</c>).</summary>
    /// <remarks>Shares storage.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The axis is out of range.</exception>
    public Tensor Unsqueeze(int axis)
    {
        int a = Engine.Shape.NormAxis(axis, Rank + 1);
        var shape = new List<int>(Shape);
        shape.Insert(a, 1);
        return Reshape([.. shape]);
    }

    /// <summary>
    /// Removes dimension <paramref name="axis"/> when its size is 1 (<c>torch.squeeze(dim)</c>); otherwise the
    /// shape is unchanged, as in PyTorch. Shares storage.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is out of range.</exception>
    public Tensor Squeeze(int axis)
    {
        int a = Engine.Shape.NormAxis(axis, Rank);
        if (Rank == 0 || Shape[a] != 1)
        {
            return Reshape(Shape);
        }

        var shape = new List<int>(Shape);
        shape.RemoveAt(a);
        return Reshape([.. shape]);
    }

    /// <summary>Removes every size-1 dimension (<c>torch.squeeze()</c>); shares storage.</summary>
    public Tensor Squeeze() => Reshape([.. Shape.Where(n => n != 1)]);
}
