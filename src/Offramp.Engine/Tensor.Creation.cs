namespace Offramp.Engine;

public sealed partial class Tensor
{
    /// <summary>A tensor of the given shape with undefined-but-zeroed contents.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32)
    {
        int n = Engine.Shape.Numel(shape);
        TensorMemory.Arena? arena = null;
        Array buf = dtype == DType.Float32 ? TensorMemory.RentFloat(n, out arena) : new double[n];
        return new Tensor(buf, (int[])shape.Clone(), dtype, arena);
    }

    /// <summary>A zero-filled tensor (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(params int[] shape) => Empty(shape);

    /// <summary>A zero-filled tensor of the given type.</summary>
    public static Tensor Zeros(int[] shape, DType dtype) => Empty(shape, dtype);

    /// <summary>A zero-filled tensor with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Empty(like.Shape, like.DType);

    /// <summary>A one-filled tensor (<c>torch.ones</c>).</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1.0);

    /// <summary>A one-filled tensor with the shape and type of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Full(like.Shape, 1.0, like.DType);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        t.Fill(value);
        return t;
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full([], value, dtype);

    /// <summary><c>torch.arange(start, end, step)</c> as float values.</summary>
    public static Tensor Arange(double start, double end, double step = 1.0, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(start + end + step))
        {
            throw new ArgumentException("Arange needs a finite, non-zero step");
        }

        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty([n], dtype);
        for (int i = 0; i < n; i++)
        {
            t.SetFlat(i, start + i * step);
        }

        return t;
    }

    /// <summary>A float32 tensor over a copy of <paramref name="data"/> with the given shape.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        CheckLength(data.Length, shape);
        var t = Empty(shape);
        data.AsSpan(0, t.Numel).CopyTo(t.Span);
        return t;
    }

    /// <summary>A float64 tensor over a copy of <paramref name="data"/> with the given shape.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static Tensor FromArray(double[] data, params int[] shape)
    {
        CheckLength(data.Length, shape);
        var t = Empty(shape, DType.Float64);
        data.AsSpan(0, t.Numel).CopyTo(t.Data<double>());
        return t;
    }

    private static void CheckLength(int length, int[] shape)
    {
        int n = Engine.Shape.Numel(shape);
        if (n != length)
        {
            throw new ArgumentException($"{length} values cannot fill shape {Engine.Shape.Format(shape)} ({n} elements)");
        }
    }

    /// <summary>Standard-normal samples from <paramref name="rng"/> (<c>torch.randn</c>).</summary>
    public static Tensor Randn(Rng rng, int[] shape, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, rng.NextNormal());
        }

        return t;
    }

    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(Rng rng, int[] shape, DType dtype = DType.Float32) => Uniform(rng, shape, 0, 1, dtype);

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(Rng rng, int[] shape, double low, double high, DType dtype = DType.Float32)
    {
        var t = Empty(shape, dtype);
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, low + (high - low) * rng.NextDouble());
        }

        return t;
    }

    /// <summary>Sets every element to <paramref name="value"/> in place.</summary>
    public Tensor Fill(double value)
    {
        if (DType == DType.Float32)
        {
            Span.Fill((float)value);
        }
        else
        {
            Data<double>().Fill(value);
        }

        return this;
    }

    /// <summary>Reads one element by flat (row-major) index.</summary>
    public double GetFlat(int i) => DType == DType.Float32 ? Span[i] : Data<double>()[i];

    /// <summary>Writes one element by flat (row-major) index.</summary>
    public void SetFlat(int i, double value)
    {
        if (DType == DType.Float32)
        {
            Span[i] = (float)value;
        }
        else
        {
            Data<double>()[i] = value;
        }
    }

    /// <summary>A new tensor with the same values, no graph, not requiring grad (<c>clone().detach()</c>).</summary>
    public Tensor CloneData()
    {
        var t = Empty(Shape, DType);
        CopyDataTo(t);
        return t;
    }

    /// <summary>Copies this tensor's values into <paramref name="dst"/> (same shape and type), in place.</summary>
    /// <exception cref="ArgumentException">Shapes or types differ.</exception>
    public void CopyDataTo(Tensor dst)
    {
        if (!Engine.Shape.Equal(Shape, dst.Shape) || DType != dst.DType)
        {
            throw new ArgumentException($"CopyDataTo: {Engine.Shape.Format(Shape)} {DType.Name()} into {Engine.Shape.Format(dst.Shape)} {dst.DType.Name()}");
        }

        if (DType == DType.Float32)
        {
            Span.CopyTo(dst.Span);
        }
        else
        {
            Data<double>().CopyTo(dst.Data<double>());
        }
    }

    /// <summary>A copy converted to <paramref name="dtype"/>, outside the graph.</summary>
    public Tensor ToDType(DType dtype)
    {
        if (dtype == DType)
        {
            return CloneData();
        }

        return dtype == DType.Float64 ? FromArray(ToDoubleArray(), Shape) : FromArray(ToArray(), Shape);
    }
}
