namespace Offramp.Inference;

/// <summary>Thresholds were calibrated for another model (different name, exits or exit costs) than the one they are
/// being used with. The message lists both identities and every difference.</summary>
public sealed class ModelMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ModelMismatchException()
        : base("thresholds belong to another model")
    {
    }

    /// <summary>Creates the exception with a message listing the differences.</summary>
    public ModelMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the lower-level fault.</summary>
    public ModelMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
