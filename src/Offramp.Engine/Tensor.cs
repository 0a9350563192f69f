using System.Numerics;
using System.Runtime.CompilerServices;

namespace Offramp.Engine;

/// <summary>
/// An n-dimensional array of <see cref="DType.Float32"/> (or, for gradient checks, <see cref="DType.Float64"/>)
/// values in row-major order, with PyTorch semantics: broadcasting, reductions over axes, NCHW images, and a
/// recorded graph for reverse-mode differentiation.
/// </summary>
/// <remarks>
/// <para>Storage is always contiguous. <see cref="Reshape(int[])"/> and <see cref="View(int[])"/> share the
/// storage of their source (writes through one are seen through the other, as in PyTorch); every other
/// movement op (permute, slice, cat, …) returns a new contiguous tensor.</para>
/// <para>The storage array may be longer than <see cref="Numel"/> (buffers come from a pool); use
/// <see cref="Span"/> or <see cref="Data{T}"/>, which are cut to length.</para>
/// <para>The shape array returned by <see cref="Shape"/> is the tensor's own: do not modify it.</para>
/// </remarks>
public sealed partial class Tensor
{
    private readonly Array _buffer;
    private readonly TensorMemory.Arena? _arena;

    internal Tensor(Array buffer, int[] shape, DType dtype, TensorMemory.Arena? arena = null)
    {
        _arena = arena;
        Debug.Assert(dtype == DType.Float32 ? buffer is float[] : buffer is double[]);
        _buffer = buffer;
        Shape = shape;
        DType = dtype;
        Numel = Engine.Shape.Numel(shape);
        Debug.Assert(buffer.Length >= Numel);
    }

    /// <summary>Dimensions, outermost first. A scalar has rank 0 and shape <c>[]</c>.</summary>
    public int[] Shape { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public int Numel { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Size of one dimension; negative axes count from the end.</summary>
    public int Size(int axis) => Shape[Engine.Shape.NormAxis(axis, Rank)];

    /// <summary>The float32 elements (row-major, exactly <see cref="Numel"/> long).</summary>
    /// <exception cref="InvalidOperationException">The tensor is not float32.</exception>
    public Span<float> Span
    {
        get
        {
            if (_buffer is not float[] f)
            {
                throw new InvalidOperationException($"Span needs a float32 tensor; this one is {DType.Name()}");
            }

            CheckAlive();

            return f.AsSpan(0, Numel);
        }
    }

    /// <summary>The elements as <typeparamref name="T"/> (float or double, matching <see cref="DType"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Data<T>()
        where T : unmanaged
    {
        if (_buffer is not T[] a)
        {
            throw new InvalidOperationException($"tensor of {DType.Name()} read as {typeof(T).Name}");
        }

        CheckAlive();

        return a.AsSpan(0, Numel);
    }

    /// <summary>True when the two tensors share storage (a view and its source).</summary>
    public bool SharesStorageWith(Tensor other) => ReferenceEquals(_buffer, other._buffer);

    internal Array Buffer => _buffer;

    internal TensorMemory.Arena? Arena => _arena;

    /// <summary>A new tensor object over this storage with another shape (same element count), outside the graph.</summary>
    internal Tensor ViewAs(int[] shape) => new(_buffer, shape, DType, _arena);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckAlive()
    {
        if (_arena is not null && _arena.Released)
        {
            ThrowReleased();
        }
    }

    private void ThrowReleased() => throw new ObjectDisposedException(
        nameof(Tensor), $"tensor {Engine.Shape.Format(Shape)} was created in a TensorMemory.Step() scope that has ended; its buffer has been reused");

    /// <summary>Readable description: shape, type and (for small tensors) values.</summary>
    public override string ToString()
    {
        var s = $"Tensor{Engine.Shape.Format(Shape)} {DType.Name()}";
        if (Numel <= 16)
        {
            s += " [" + string.Join(", ", ToDoubleArray().Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        }

        return GradFn is null ? s : s + $" grad_fn={GradFn.Op}";
    }

    /// <summary>A copy of the elements as float32.</summary>
    public float[] ToArray()
    {
        if (DType == DType.Float32)
        {
            return Span.ToArray();
        }

        var d = Data<double>();
        var r = new float[d.Length];
        for (int i = 0; i < d.Length; i++)
        {
            r[i] = (float)d[i];
        }

        return r;
    }

    /// <summary>A copy of the elements as float64.</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64)
        {
            return Data<double>().ToArray();
        }

        var f = Span;
        var r = new double[f.Length];
        for (int i = 0; i < f.Length; i++)
        {
            r[i] = f[i];
        }

        return r;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element.</exception>
    public double Item()
    {
        if (Numel != 1)
        {
            throw new InvalidOperationException($"Item() needs a one-element tensor, got shape {Engine.Shape.Format(Shape)}");
        }

        return DType == DType.Float32 ? Span[0] : Data<double>()[0];
    }

    /// <summary>The value at a multi-index (slow; for tests and debugging).</summary>
    [IndexerName("At")]
    public double this[params int[] index]
    {
        get
        {
            if (index.Length != Rank)
            {
                throw new ArgumentException($"index of rank {index.Length} for tensor of shape {Engine.Shape.Format(Shape)}");
            }

            int flat = 0;
            for (int i = 0; i < Rank; i++)
            {
                if ((uint)index[i] >= (uint)Shape[i])
                {
                    throw new IndexOutOfRangeException($"index {index[i]} out of range for dim {i} of shape {Engine.Shape.Format(Shape)}");
                }

                flat = flat * Shape[i] + index[i];
            }

            return DType == DType.Float32 ? Span[flat] : Data<double>()[flat];
        }
    }

    /// <summary>Throws when <paramref name="other"/> does not have this tensor's type; names both.</summary>
    internal void CheckSameDType(Tensor other, string op)
    {
        if (other.DType != DType)
        {
            throw new ArgumentException($"{op}: dtype mismatch {DType.Name()} vs {other.DType.Name()}");
        }
    }

    /// <summary>Element-wise closeness in the sense of <c>torch.allclose</c>.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        if (!Engine.Shape.Equal(Shape, other.Shape))
        {
            return false;
        }

        var a = ToDoubleArray();
        var b = other.ToDoubleArray();
        for (int i = 0; i < a.Length; i++)
        {
            if (!(Math.Abs(a[i] - b[i]) <= atol + rtol * Math.Abs(b[i])) && !(double.IsNaN(a[i]) && double.IsNaN(b[i])))
            {
                return false;
            }
        }

        return true;
    }
}
