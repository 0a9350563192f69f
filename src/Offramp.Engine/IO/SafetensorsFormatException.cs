namespace Offramp.Engine.IO;

/// <summary>
/// A safetensors file (or buffer) broke a rule of the format. Thrown by the readers of <see cref="Safetensors"/>
/// before anything is returned: a rejected file is never half-loaded.
/// </summary>
/// <remarks>
/// The message reads <c>safetensors file '&lt;source&gt;': tensor '&lt;name&gt;': &lt;reason&gt;</c>; the source
/// part is present when the data came from a named file (or the caller named the buffer), the tensor part when
/// the fault belongs to one tensor entry.
/// </remarks>
public sealed class SafetensorsFormatException : FormatException
{
    /// <summary>Creates the exception with a preformatted message (no source or tensor).</summary>
    public SafetensorsFormatException()
        : base("invalid safetensors data")
    {
    }

    /// <summary>Creates the exception with a preformatted message.</summary>
    public SafetensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a preformatted message and the fault that revealed it.</summary>
    public SafetensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception naming the source, the tensor and the reason.</summary>
    /// <param name="source">File path or caller-chosen name of the buffer; null when unnamed.</param>
    /// <param name="tensor">Tensor entry at fault; null when the fault is not one tensor's.</param>
    /// <param name="reason">What is wrong, with the offending values.</param>
    /// <param name="innerException">The lower-level fault (JSON parser, I/O), if any.</param>
    public SafetensorsFormatException(string? source, string? tensor, string reason, Exception? innerException = null)
        : base(Format(source, tensor, reason), innerException)
    {
        SourceName = source;
        TensorName = tensor;
        Reason = reason;
    }

    /// <summary>The file path (or buffer name) the data came from; null when unnamed.</summary>
    public string? SourceName { get; }

    /// <summary>The tensor entry at fault; null when the fault concerns the file as a whole.</summary>
    public string? TensorName { get; }

    /// <summary>The reason alone, without the source and tensor prefix.</summary>
    public string? Reason { get; }

    private static string Format(string? source, string? tensor, string reason)
    {
        var where = source is null ? "safetensors data" : $"safetensors file '{source}'";
        return tensor is null ? $"{where}: {reason}" : $"{where}: tensor '{tensor}': {reason}";
    }
}
