namespace Offramp.Training;

/// <summary>
/// A training configuration is invalid: a file that cannot be read or parsed, an unknown key, a value of the wrong
/// type or out of range. The message names the file (or "command line") and the key.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConfigException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one key of one source.</summary>
    /// <param name="configSource">The file, "command line", or null.</param>
    /// <param name="key">The offending key as written in files (<c>batch_size</c>), or null.</param>
    /// <param name="reason">What is wrong and, where possible, what would be right.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ConfigException(string? configSource, string? key, string reason, Exception? innerException = null)
        : base(Compose(configSource, key, reason), innerException)
    {
        ConfigSource = configSource;
        Key = key;
        Reason = reason;
    }

    /// <summary>The file (or "command line") the bad value came from, when known.</summary>
    public string? ConfigSource { get; }

    /// <summary>The offending key, when known.</summary>
    public string? Key { get; }

    /// <summary>The reason alone.</summary>
    public string? Reason { get; }

    private static string Compose(string? source, string? key, string reason)
    {
        var where = source is null ? "config" : source == TrainConfigLoader.CommandLine ? source : $"config {source}";
        var what = key is null ? "" : key.StartsWith("--", StringComparison.Ordinal) ? $"option {key} " : $"key '{key}' ";
        return $"{where}: {what}{reason}";
    }
}
