namespace Offramp.Engine.IO;

/// <summary>Element type of a tensor stored in a safetensors file (the header's <c>"dtype"</c> field).</summary>
/// <remarks>
/// The members are declared in the order of the official implementation's <c>Dtype</c> enum
/// (huggingface/safetensors, <c>safetensors/src/tensor.rs</c>), which is increasing alignment. The writer
/// relies on that order: the official <c>serialize</c> sorts tensors by descending dtype (this order), then
/// by name. The sub-byte and complex types of recent versions (F4, F6_*, F8_E8M0, C64) are not supported and
/// are rejected as unknown.
/// </remarks>
public enum SafetensorsDType
{
    /// <summary>Boolean, one byte (0 or 1).</summary>
    Bool,

    /// <summary>Unsigned 8-bit integer.</summary>
    U8,

    /// <summary>Signed 8-bit integer.</summary>
    I8,

    /// <summary>8-bit float, 5 exponent bits and 2 mantissa bits (<c>F8_E5M2</c>; stored, not converted).</summary>
    F8E5M2,

    /// <summary>8-bit float, 4 exponent bits and 3 mantissa bits (<c>F8_E4M3</c>; stored, not converted).</summary>
    F8E4M3,

    /// <summary>Signed 16-bit integer.</summary>
    I16,

    /// <summary>Unsigned 16-bit integer.</summary>
    U16,

    /// <summary>IEEE 754 half precision (<c>torch.float16</c>); read as float32.</summary>
    F16,

    /// <summary>Brain floating point (<c>torch.bfloat16</c>); read as float32.</summary>
    BF16,

    /// <summary>Signed 32-bit integer.</summary>
    I32,

    /// <summary>Unsigned 32-bit integer.</summary>
    U32,

    /// <summary>IEEE 754 single precision (<c>torch.float32</c>).</summary>
    F32,

    /// <summary>IEEE 754 double precision (<c>torch.float64</c>).</summary>
    F64,

    /// <summary>Signed 64-bit integer (<c>torch.int64</c>; e.g. BatchNorm's <c>num_batches_tracked</c>).</summary>
    I64,

    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
}

/// <summary>Helpers over <see cref="SafetensorsDType"/>: element size and the names used in file headers.</summary>
public static class SafetensorsDTypeExtensions
{
    private static readonly string[] Names =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

    /// <summary>Size of one element in bytes.</summary>
    public static int SizeOf(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool or SafetensorsDType.U8 or SafetensorsDType.I8
            or SafetensorsDType.F8E5M2 or SafetensorsDType.F8E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>The name written in file headers (<c>"F32"</c>, <c>"BF16"</c>, <c>"F8_E4M3"</c>, …).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string HeaderName(this SafetensorsDType dtype) =>
        (uint)dtype < (uint)Names.Length
            ? Names[(int)dtype]
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype");

    /// <summary>Parses a header dtype name; exact, case-sensitive match as in the official reader.</summary>
    public static bool TryParseHeaderName(string name, out SafetensorsDType dtype)
    {
        int i = Array.IndexOf(Names, name);
        dtype = (SafetensorsDType)Math.Max(i, 0);
        return i >= 0;
    }
}
