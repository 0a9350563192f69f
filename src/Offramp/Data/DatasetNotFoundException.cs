namespace Offramp.Data;

/// <summary>
/// The files of a data set are not where they were looked for. The message names the folder, the missing file
/// and how to get the data set.
/// </summary>
public sealed class DatasetNotFoundException : FileNotFoundException
{
    /// <summary>Creates the exception.</summary>
    public DatasetNotFoundException(string message, string? fileName = null)
        : base(message, fileName)
    {
    }
}
