namespace Offramp.Data;

/// <summary>
/// A data file is malformed or does not hold what the loader expects (wrong shape, counts that disagree, labels
/// out of range). The message always starts with the file name and states the reason.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so one handler can catch
/// both a missing and a malformed data file.
/// </remarks>
public class DataFormatException : IOException
{
    /// <summary>Creates the exception; the message is <c>"{fileName}: {reason}"</c>.</summary>
    public DataFormatException(string fileName, string reason, Exception? inner = null)
        : base($"{fileName}: {reason}", inner)
    {
        FileName = fileName;
        Reason = reason;
    }

    /// <summary>The file name (without directory) the problem was found in.</summary>
    public string FileName { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Reason { get; }
}
