namespace Offramp.Data;

/// <summary>
/// The whole content of one IDX file: element type, shape and the elements in row-major order, converted from
/// the file's big-endian layout to native values.
/// </summary>
public sealed class IdxArray
{
    internal IdxArray(string fileName, IdxElementType elementType, int[] shape, Array data)
    {
        FileName = fileName;
        ElementType = elementType;
        Shape = shape;
        Data = data;
    }

    /// <summary>File name (without directory) the array was read from, for messages.</summary>
    public string FileName { get; }

    /// <summary>Element type declared by the file's magic number.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>Dimensions, outermost first (1 to <see cref="IdxReader.MaxDimensions"/> of them, each ≥ 1).</summary>
    public int[] Shape { get; }

    /// <summary>
    /// The elements: a <c>byte[]</c>, <c>sbyte[]</c>, <c>short[]</c>, <c>int[]</c>, <c>float[]</c> or
    /// <c>double[]</c> according to <see cref="ElementType"/>, exactly as long as the product of <see cref="Shape"/>.
    /// </summary>
    public Array Data { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The elements as <typeparamref name="T"/>[] (no copy).</summary>
    /// <exception cref="DataFormatException">The file holds another element type.</exception>
    public T[] DataAs<T>()
        where T : unmanaged =>
        Data as T[] ?? throw new DataFormatException(
            FileName, $"element type is {ElementType} (0x{(byte)ElementType:X2}); expected {typeof(T).Name} data");

    /// <summary>The elements of a <see cref="IdxElementType.UByte"/> file (no copy).</summary>
    /// <exception cref="DataFormatException">The file holds another element type.</exception>
    public byte[] Bytes => DataAs<byte>();

    /// <summary>The shape as the IDX documentation writes it: <c>60000×28×28</c>.</summary>
    public string ShapeText => IdxReader.FormatShape(Shape);
}
