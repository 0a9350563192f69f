using Offramp.Data;
using Offramp.Engine;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Training;

namespace Offramp.Cli.Commands;

/// <summary>
/// A trained run opened for inference: its effective config, the model with the run's weights, and its data (the
/// held-out split for calibration, the test set for honest numbers). Exit outputs of both splits are cached in the
/// run directory (<c>heldout.logits.safetensors</c>, <c>test.logits.safetensors</c>) and reused while they are newer
/// than the weights and belong to the same model.
/// </summary>
internal sealed class RunContext
{
    public const string HeldOutLogitsFile = "heldout.logits.safetensors";
    public const string TestLogitsFile = "test.logits.safetensors";
    public const string ThresholdsFileName = "thresholds.json";

    private TrainingData? _data;

    private RunContext(string dir, TrainConfig config, MultiExitModel model, string weights)
    {
        Dir = dir;
        Config = config;
        Model = model;
        Weights = weights;
        Identity = ModelIdentity.From(config.Model, model);
    }

    public string Dir { get; }

    public TrainConfig Config { get; }

    public MultiExitModel Model { get; }

    public string Weights { get; }

    public ModelIdentity Identity { get; }

    /// <summary>The run's data sources (built on first use: the data set is only read when needed).</summary>
    public TrainingData Data => _data ??= CliServices.CreateData(Config);

    /// <summary>Opens a run directory (config.json + final weights, else the latest checkpoint's).</summary>
    /// <exception cref="UsageException">Not a run directory, no weights, or weights that do not fit.</exception>
    public static RunContext Open(string dir, string? weights, List<KeyValuePair<string, string>> overrides)
    {
        var config = Cli.OpenRunConfig(dir, overrides);
        weights ??= Cli.FindRunWeights(dir);
        MultiExitModel model;
        try
        {
            // Both data sets (fashion-mnist, synthetic) have 10 classes of 1×28×28: the model is built without reading
            // the data, so predicting on a few images does not load the training set.
            model = CliServices.CreateModel(config.Model, config.ModelOptions(FashionMnist.ClassNames.Count, [1, FashionMnist.ImageSide, FashionMnist.ImageSide]));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"model '{config.Model}' of run {dir}: {e.Message}", e);
        }

        Cli.LoadWeights(model, weights);
        model.Eval();
        return new RunContext(dir, config, model, weights);
    }

    /// <summary>Batches of a split as the runners take them.</summary>
    public static IEnumerable<(Tensor Images, int[]? Labels)> Batches(IBatchSource source) =>
        source.GetEpoch(0).Select(b => (b.Images, (int[]?)b.Labels));

    /// <summary>Every exit's outputs on the held-out split (cached).</summary>
    /// <exception cref="UsageException">The run has no held-out split.</exception>
    public ExitLogits HeldOutLogits(TextWriter progressOut) => Logits(
        HeldOutLogitsFile,
        Data.HeldOut ?? throw new UsageException(
            $"run {Dir} has no held-out split (held_out = 0): thresholds are calibrated on held-out data, never on the test set; retrain with --held-out N"),
        "held-out",
        progressOut);

    /// <summary>Every exit's outputs on the test set (cached).</summary>
    public ExitLogits TestLogits(TextWriter progressOut) => Logits(TestLogitsFile, Data.Test, "test", progressOut);

    /// <summary>The exit-distribution family named <paramref name="name"/> for this model's exit count.</summary>
    /// <exception cref="UsageException">Unknown name, or Dyn-Perceiver's family for a model without 4 exits.</exception>
    public ExitDistributionFamily Family(string name) => name switch
    {
        "msdnet" => ExitDistributionFamily.MsdNet(Model.Exits.Count),
        "dyn_perceiver" when Model.Exits.Count == ExitDistribution.DynPerceiverFactors.Count => ExitDistributionFamily.DynPerceiver(),
        "dyn_perceiver" => throw new UsageException(
            $"--family dyn_perceiver needs a model with {ExitDistribution.DynPerceiverFactors.Count} exits; {Config.Model} has {Model.Exits.Count}"),
        _ => throw new UsageException($"--family: unknown family '{name}' (msdnet or dyn_perceiver)"),
    };

    private ExitLogits Logits(string file, IBatchSource source, string what, TextWriter progressOut)
    {
        var path = Path.Combine(Dir, file);
        if (File.Exists(path) && File.GetLastWriteTimeUtc(path) >= File.GetLastWriteTimeUtc(Weights))
        {
            try
            {
                var cached = ExitLogits.Load(path);
                if (cached.Identity.Differences(Identity).Count == 0 && cached.Samples == source.Count)
                {
                    return cached;
                }
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                // A damaged cache is recomputed below.
            }
        }

        var progress = new ConsoleProgress($"{what} outputs", source.Count, progressOut, interactive: false);
        var logits = ExitLogitsCollector.Collect(Model, Batches(source), Config.Model, done => progress.Report(done));
        progress.Finish();
        logits.Save(path);
        return logits;
    }
}
