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
}
