namespace Offramp.Inference;

/// <summary>A thresholds file is not valid: not JSON, a missing, unknown or mistyped field, or a model hash that
/// does not match its own exits (an edited or corrupt file). Nothing is loaded.</summary>
public sealed class ThresholdsFileException : FormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ThresholdsFileException()
        : base("invalid thresholds file")
    {
    }

    /// <summary>Creates the exception with a message naming the file and the fault.</summary>
    public ThresholdsFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the lower-level fault.</summary>
    public ThresholdsFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
