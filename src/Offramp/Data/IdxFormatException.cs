namespace Offramp.Data;

/// <summary>
/// An IDX file is malformed: bad magic number, unknown element type, bad dimensions, truncated or overlong
/// payload, or corrupt gzip compression. Thrown by <see cref="IdxReader"/>; nothing is returned half-loaded.
/// </summary>
public sealed class IdxFormatException : DataFormatException
{
    /// <summary>Creates the exception; the message is <c>"{fileName}: {reason}"</c>.</summary>
    public IdxFormatException(string fileName, string reason, Exception? inner = null)
        : base(fileName, reason, inner)
    {
    }
}
