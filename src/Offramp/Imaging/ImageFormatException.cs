namespace Offramp.Imaging;

/// <summary>
/// An image file is malformed, unsupported or over a safety limit. The message names the file (when there is
/// one) and the reason, e.g. <c>x.png: CRC mismatch in IHDR</c>.
/// </summary>
public sealed class ImageFormatException : FormatException
{
    /// <summary>Creates an exception with a bare message.</summary>
    public ImageFormatException()
        : base("invalid image")
    {
        Reason = "invalid image";
    }

    /// <summary>Creates an exception with the given message and no file name.</summary>
    public ImageFormatException(string message)
        : base(message)
    {
        Reason = message;
    }

    /// <summary>Creates an exception with the given message wrapping <paramref name="innerException"/>.</summary>
    public ImageFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>Creates an exception for <paramref name="fileName"/> (may be null) with the given reason.</summary>
    public ImageFormatException(string? fileName, string reason, Exception? innerException = null)
        : base(fileName is null ? reason : $"{fileName}: {reason}", innerException)
    {
        FileName = fileName;
        Reason = reason;
    }

    /// <summary>The file being decoded, or null when decoding from memory without a name.</summary>
    public string? FileName { get; }

    /// <summary>The reason without the file name.</summary>
    public string Reason { get; }
}
