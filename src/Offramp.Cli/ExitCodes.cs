namespace Offramp.Cli;

/// <summary>Process exit codes of the <c>offramp</c> command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Training failed (a loss or gradient became NaN/Inf).</summary>
    public const int TrainingFailed = 1;

    /// <summary>Bad usage, config or checkpoint: the message says which option, key or file.</summary>
    public const int Usage = 2;

    /// <summary>The data set is missing or unreadable: the message says how to install it.</summary>
    public const int MissingData = 3;
}
