using Offramp.Models;
using Offramp.Training;

namespace Offramp.Cli;

/// <summary>What the commands build models and data with; tests replace these with tiny stand-ins.</summary>
internal static class CliServices
{
    /// <summary>Builds a model by name (the registry; throws <see cref="ArgumentException"/> for an unknown name).</summary>
    public static Func<string, ModelOptions, MultiExitModel> CreateModel { get; set; } = ModelRegistry.Create;

    /// <summary>Builds the data sources of a run.</summary>
    public static Func<TrainConfig, TrainingData> CreateData { get; set; } = c => TrainingData.Create(c);
}
