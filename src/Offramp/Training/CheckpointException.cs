namespace Offramp.Training;

/// <summary>A checkpoint cannot be used: missing, truncated, corrupt, or written for another model or config. The
/// message names the file and the reason; nothing was changed by the failed load.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one path.</summary>
    public CheckpointException(string path, string reason, Exception? innerException = null)
        : base($"checkpoint {path} rejected: {reason}", innerException)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The rejected file or directory.</summary>
    public string? Path { get; }

    /// <summary>Why it was rejected.</summary>
    public string? Reason { get; }
}
