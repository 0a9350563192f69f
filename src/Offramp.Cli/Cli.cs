using Offramp.Data;
using Offramp.Engine.IO;
using Offramp.Engine.Nn;
using Offramp.Models;
using Offramp.Training;

namespace Offramp.Cli;

/// <summary>Shared pieces of the commands: error reporting with exit codes, model construction.</summary>
internal static class Cli
{
    /// <summary>Runs a command body; known failures become a message on stderr and their exit code.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ConfigException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (CheckpointException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (UsageException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (DatasetNotFoundException e)
        {
            return Fail(ExitCodes.MissingData, e.Message);
        }
        catch (DataFormatException e)
        {
            return Fail(ExitCodes.MissingData, $"{e.Message} (the data set's files are damaged; reinstall them)");
        }
        catch (TrainingDivergedException e)
        {
            return Fail(ExitCodes.TrainingFailed, e.Message);
        }
    }

    /// <summary>Writes "offramp: error: …" to stderr and returns <paramref name="code"/>.</summary>
    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"offramp: error: {message}");
        return code;
    }

    /// <summary>Builds the config's model for the data's classes and input shape.</summary>
    /// <exception cref="UsageException">The model name is unknown or its options are invalid.</exception>
    public static MultiExitModel CreateModel(TrainConfig config, IBatchSource data)
    {
        try
        {
            return CliServices.CreateModel(config.Model, config.ModelOptions(data.NumClasses, data.InputShape));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"model '{config.Model}': {e.Message.TrimEnd()} (`offramp models` lists the registered models)", e);
        }
    }

    /// <summary>Loads weights from a safetensors file into a model (strict keys and shapes).</summary>
    /// <exception cref="UsageException">The file is missing, malformed or does not fit the model.</exception>
    public static void LoadWeights(Module model, string path)
    {
        try
        {
            StateDictFiles.Load(model, path);
        }
        catch (Exception e) when (e is IOException or FormatException or StateDictMismatchException)
        {
            throw new UsageException($"weights {path} cannot be used: {e.Message}", e);
        }
    }
}

/// <summary>A usage error the user can fix (unknown model, unusable weights file…).</summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
