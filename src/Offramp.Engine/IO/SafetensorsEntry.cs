using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Offramp.Engine.IO;

/// <summary>
/// One named tensor of a safetensors file: its dtype, shape and raw little-endian bytes, with conversions to and
/// from <see cref="Tensor"/> (float types) and <c>long[]</c> (integer types).
/// </summary>
/// <remarks>
/// <para>Entries are immutable: the constructor copies the bytes, and <see cref="Data"/> is read-only. Reading
/// and writing an entry moves its bytes unchanged, so a file round-trips bit-exactly (NaN payloads, -0.0,
/// subnormals).</para>
/// <para>Conversions: <see cref="SafetensorsDType.F32"/>, <see cref="SafetensorsDType.F16"/> and
/// <see cref="SafetensorsDType.BF16"/> become float32 tensors (exact widening), <see cref="SafetensorsDType.F64"/>
/// a float64 tensor; integer types (<see cref="SafetensorsDType.I64"/>, used by PyTorch for BatchNorm's
/// <c>num_batches_tracked</c>, and the narrower ones) become <c>long[]</c> via <see cref="ToInt64Array"/>.</para>
/// </remarks>
public sealed class SafetensorsEntry
{
    private readonly byte[] _data;
    private readonly int[] _shape;

    /// <summary>Creates an entry over a copy of <paramref name="data"/>.</summary>
    /// <param name="name">Tensor name (a state-dict key such as <c>layer1.0.conv1.weight</c>).</param>
    /// <param name="dtype">Element type of <paramref name="data"/>.</param>
    /// <param name="shape">Dimensions, outermost first; <c>[]</c> for a scalar.</param>
    /// <param name="data">Elements in row-major order, little-endian, exactly numel × element size bytes.</param>
    /// <exception cref="ArgumentException">The name is <c>__metadata__</c> (reserved), a dimension is negative,
    /// or the byte count does not match the shape.</exception>
    public SafetensorsEntry(string name, SafetensorsDType dtype, int[] shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        DType = dtype;
        _shape = (int[])shape.Clone();
        Numel = CheckedNumel(name, dtype, _shape, data.Length);
        _data = data.ToArray();
    }

    // Takes ownership of shape and data (no copies): for the reader and the factories.
    private SafetensorsEntry(string name, SafetensorsDType dtype, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        DType = dtype;
        _shape = shape;
        Numel = CheckedNumel(name, dtype, shape, data.LongLength);
        _data = data;
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>Element type of <see cref="Data"/>.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>Dimensions, outermost first (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Number of elements (1 for a scalar, 0 when a dimension is 0).</summary>
    public long Numel { get; }

    /// <summary>The raw bytes: elements in row-major order, little-endian.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    internal byte[] RawData => _data;

    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>An F32 (float32 tensor) or F64 (float64 tensor) entry holding a copy of the tensor's values.</summary>
    public static SafetensorsEntry FromTensor(string name, Tensor tensor) =>
        FromTensor(name, tensor, tensor.DType == Engine.DType.Float64 ? SafetensorsDType.F64 : SafetensorsDType.F32);

    /// <summary>An entry holding the tensor's values converted to <paramref name="dtype"/>.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="tensor">Source values (float32 or float64).</param>
    /// <param name="dtype">F32, F64, F16 or BF16. Narrowing rounds to nearest even (F64 → F32 as a C# cast; float32
    /// → F16/BF16 like PyTorch's <c>.half()</c>/<c>.bfloat16()</c>, NaN becoming a quiet NaN of the same sign).</param>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a float type.</exception>
    public static SafetensorsEntry FromTensor(string name, Tensor tensor, SafetensorsDType dtype)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        int n = tensor.Numel;
        byte[] bytes;
        switch (dtype)
        {
            case SafetensorsDType.F32:
                bytes = new byte[checked(n * 4)];
                var f = tensor.DType == Engine.DType.Float32 ? tensor.Span : tensor.ToArray();
                WriteLittleEndian(MemoryMarshal.Cast<float, uint>(f), bytes);
                break;
            case SafetensorsDType.F64:
                bytes = new byte[checked(n * 8)];
                var d = tensor.DType == Engine.DType.Float64 ? tensor.Data<double>() : tensor.ToDoubleArray();
                WriteLittleEndian(MemoryMarshal.Cast<double, ulong>(d), bytes);
                break;
            case SafetensorsDType.F16:
            case SafetensorsDType.BF16:
                bytes = new byte[checked(n * 2)];
                var src = MemoryMarshal.Cast<float, uint>(tensor.DType == Engine.DType.Float32 ? tensor.Span : tensor.ToArray());
                for (int i = 0; i < n; i++)
                {
                    ushort h = dtype == SafetensorsDType.F16 ? FloatBits.SingleToHalf(src[i]) : FloatBits.SingleToBFloat16(src[i]);
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), h);
                }

                break;
            default:
                throw new ArgumentException($"tensor '{name}': a Tensor cannot be stored as {dtype.HeaderName()}; use F32, F64, F16 or BF16", nameof(dtype));
        }

        return new SafetensorsEntry(name, dtype, (int[])tensor.Shape.Clone(), bytes);
    }

    /// <summary>An I64 entry (PyTorch <c>torch.int64</c>) over a copy of <paramref name="values"/>.</summary>
    /// <param name="name">Tensor name, e.g. <c>bn1.num_batches_tracked</c>.</param>
    /// <param name="values">Elements in row-major order.</param>
    /// <param name="shape">Dimensions; <c>[]</c> (no arguments) for a scalar like <c>num_batches_tracked</c>.</param>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static SafetensorsEntry FromInt64(string name, ReadOnlySpan<long> values, params int[] shape)
    {
        var bytes = new byte[checked(values.Length * 8)];
        WriteLittleEndian(MemoryMarshal.Cast<long, ulong>(values), bytes);
        return new SafetensorsEntry(name, SafetensorsDType.I64, (int[])shape.Clone(), bytes);
    }

    /// <summary>The values as a new tensor: float32 for F32/F16/BF16 (exact), float64 for F64.</summary>
    /// <exception cref="InvalidOperationException">The entry holds an integer or 8-bit float type.</exception>
    public Tensor ToTensor()
    {
        if (DType == SafetensorsDType.F64)
        {
            var t64 = Tensor.Empty(_shape, Engine.DType.Float64);
            ReadLittleEndian(_data, MemoryMarshal.Cast<double, ulong>(t64.Data<double>()));
            return t64;
        }

        if (DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
        {
            throw new InvalidOperationException(
                $"tensor '{Name}' is {DType.HeaderName()}, not a float type; integer entries convert with ToInt64Array()");
        }

        var t = Tensor.Empty(_shape);
        var dst = MemoryMarshal.Cast<float, uint>(t.Span);
        if (DType == SafetensorsDType.F32)
        {
            ReadLittleEndian(_data, dst);
        }
        else
        {
            for (int i = 0; i < dst.Length; i++)
            {
                ushort h = BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(2 * i));
                dst[i] = DType == SafetensorsDType.F16 ? FloatBits.HalfToSingle(h) : FloatBits.BFloat16ToSingle(h);
            }
        }

        return t;
    }

    /// <summary>The values of an integer (or BOOL) entry widened to <c>long</c>.</summary>
    /// <exception cref="InvalidOperationException">The entry holds a float type, or a U64 value above
    /// <see cref="long.MaxValue"/>.</exception>
    public long[] ToInt64Array()
    {
        if (Numel > Array.MaxLength)
        {
            throw new InvalidOperationException($"tensor '{Name}' has {Numel} elements, too many for one array");
        }

        var r = new long[Numel];
        var b = _data.AsSpan();
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = DType switch
            {
                SafetensorsDType.I64 => BinaryPrimitives.ReadInt64LittleEndian(b[(8 * i)..]),
                SafetensorsDType.U64 => BinaryPrimitives.ReadUInt64LittleEndian(b[(8 * i)..]) is var u && u <= long.MaxValue
                    ? (long)u
                    : throw new InvalidOperationException($"tensor '{Name}': U64 value {u} at index {i} exceeds Int64"),
                SafetensorsDType.I32 => BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]),
                SafetensorsDType.U32 => BinaryPrimitives.ReadUInt32LittleEndian(b[(4 * i)..]),
                SafetensorsDType.I16 => BinaryPrimitives.ReadInt16LittleEndian(b[(2 * i)..]),
                SafetensorsDType.U16 => BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]),
                SafetensorsDType.I8 => (sbyte)b[i],
                SafetensorsDType.U8 or SafetensorsDType.Bool => b[i],
                _ => throw new InvalidOperationException(
                    $"tensor '{Name}' is {DType.HeaderName()}, not an integer type; float entries convert with ToTensor()"),
            };
        }

        return r;
    }

    /// <summary>An entry that takes ownership of <paramref name="shape"/> and <paramref name="data"/>.</summary>
    internal static SafetensorsEntry CreateOwned(string name, SafetensorsDType dtype, int[] shape, byte[] data) =>
        new(name, dtype, shape, data);

    private static long CheckedNumel(string name, SafetensorsDType dtype, int[] shape, long byteCount)
    {
        if (name == Safetensors.MetadataKey)
        {
            throw new ArgumentException($"'{Safetensors.MetadataKey}' is reserved for the header metadata", nameof(name));
        }

        long numel = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"tensor '{name}': negative dimension in shape {Engine.Shape.Format(shape)}", nameof(shape));
            }

            numel = checked(numel * d);
        }

        long expected = checked(numel * dtype.SizeOf());
        if (byteCount != expected)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape {Engine.Shape.Format(shape)} of {dtype.HeaderName()} needs {expected} bytes, got {byteCount}",
                nameof(shape));
        }

        return numel;
    }

    /// <summary>Shape, dtype and name, e.g. <c>bn1.running_mean (3) F32</c>.</summary>
    public override string ToString() => $"{Name} {Engine.Shape.Format(_shape)} {DType.HeaderName()}";

    private static void WriteLittleEndian<T>(ReadOnlySpan<T> src, Span<byte> dst)
        where T : unmanaged
    {
        var d = MemoryMarshal.Cast<byte, T>(dst);
        src.CopyTo(d);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach(d);
        }
    }

    private static void ReadLittleEndian<T>(ReadOnlySpan<byte> src, Span<T> dst)
        where T : unmanaged
    {
        MemoryMarshal.Cast<byte, T>(src).CopyTo(dst);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach(dst);
        }
    }

    private static void ReverseEach<T>(Span<T> s)
        where T : unmanaged
    {
        if (typeof(T) == typeof(uint))
        {
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, uint>(s), MemoryMarshal.Cast<T, uint>(s));
        }
        else
        {
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<T, ulong>(s), MemoryMarshal.Cast<T, ulong>(s));
        }
    }
}
