namespace Offramp.Data;

/// <summary>
/// The element type byte of an IDX file (third byte of the magic number), as defined by LeCun's format.
/// </summary>
public enum IdxElementType : byte
{
    /// <summary>Unsigned byte (<c>0x08</c>): MNIST and Fashion-MNIST images and labels. Loaded as
    /// <see cref="byte"/>.</summary>
    UByte = 0x08,

    /// <summary>Signed byte (<c>0x09</c>). Loaded as <see cref="sbyte"/>.</summary>
    SByte = 0x09,

    /// <summary>Big-endian 16-bit integer (<c>0x0B</c>). Loaded as <see cref="short"/>.</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian 32-bit integer (<c>0x0C</c>). Loaded as <see cref="int"/>.</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE 754 single (<c>0x0D</c>). Loaded as <see cref="float"/>.</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE 754 double (<c>0x0E</c>). Loaded as <see cref="double"/>.</summary>
    Float64 = 0x0E,
}
