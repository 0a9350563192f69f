using Offramp.Data;
using Offramp.Engine;
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

    /// <summary>Reads a run directory's saved config (with command-line overrides) and applies its thread count.</summary>
    /// <exception cref="UsageException">The folder has no config.json.</exception>
    public static TrainConfig OpenRunConfig(string runDir, List<KeyValuePair<string, string>> overrides)
    {
        var saved = Path.Combine(runDir, Trainer.ConfigFile);
        if (!File.Exists(saved))
        {
            throw new UsageException($"{runDir} is not a run directory (no {Trainer.ConfigFile}); train one with `offramp train --out {runDir}`");
        }

        var config = TrainConfigLoader.Load(saved, overrides);
        if (config.Threads is { } t)
        {
            Parallelism.Threads = t;
        }

        return config;
    }

    /// <summary>A run's weights: the final file, else the latest checkpoint's (the EMA copy with <paramref name="ema"/>).</summary>
    /// <exception cref="UsageException">The run has neither.</exception>
    public static string FindRunWeights(string runDir, bool ema = false)
    {
        var final = Path.Combine(runDir, ema ? Trainer.FinalEmaFile : Trainer.FinalModelFile);
        if (File.Exists(final))
        {
            return final;
        }

        var latest = Checkpoint.FindLatest(runDir)
            ?? throw new UsageException($"{runDir} has neither final weights ({Path.GetFileName(final)}) nor a checkpoint");
        return Path.Combine(latest, ema ? Checkpoint.EmaFile : Checkpoint.ModelFile);
    }
}

/// <summary>A usage error the user can fix (unknown model, unusable weights file…).</summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
