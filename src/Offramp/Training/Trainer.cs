using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Engine.Optim;
using Offramp.Models;

namespace Offramp.Training;

/// <summary>
/// Trains a multi-exit model: epochs of optimizer steps on the weighted multi-exit loss, evaluation of every exit on
/// the held-out split and the test set after each epoch, a JSON-lines log, atomic checkpoints and exact resume.
/// </summary>
/// <remarks>
/// <para>Run directory: <c>config.json</c> (the effective config), <c>log.jsonl</c> (one <see cref="EpochLogEntry"/>
/// per epoch), <c>checkpoints/</c> (see <see cref="Checkpoint"/>), and at the end <c>model.safetensors</c> (plus
/// <c>model_ema.safetensors</c> with EMA).</para>
/// <para>Determinism: the data of an epoch is a pure function of (seed, epoch) (<see cref="IBatchSource"/>), the
/// learning rate a function of the global step, and a checkpoint holds the model, optimizer, EMA and every model RNG
/// state exactly, so a run resumed from any checkpoint ends in bit-identical weights.</para>
/// </remarks>
public sealed partial class Trainer
{
    private readonly IBatchSource _train;
    private readonly IBatchSource? _heldOut;
    private readonly IBatchSource? _test;
    private readonly ITrainingObserver _observer;
    private readonly Tensor[] _params;
    private readonly Dictionary<string, Rng> _rngs = new(StringComparer.Ordinal);
    private EpochAccumulators _acc;
    private bool _resumed;

    /// <summary>Sets up a run: loss, optimizer (no weight decay on biases and norms), schedule, EMA.</summary>
    /// <param name="model">The model, freshly initialised (or to be restored with <see cref="Resume"/>).</param>
    /// <param name="config">The effective config; <see cref="TrainConfig.Out"/> is the run directory.</param>
    /// <param name="train">Training batches.</param>
    /// <param name="heldOut">Held-out split evaluated after each epoch, or null.</param>
    /// <param name="test">Test set evaluated after each epoch, or null.</param>
    /// <param name="observer">Progress receiver, or null.</param>
    /// <exception cref="ConfigException">The config is invalid or has no output directory.</exception>
    /// <exception cref="ArgumentException">The data's classes or input shape do not match the model, or an epoch has
    /// no batch.</exception>
    public Trainer(MultiExitModel model, TrainConfig config, IBatchSource train, IBatchSource? heldOut = null,
        IBatchSource? test = null, ITrainingObserver? observer = null)
    {
        config.Validate();
        if (string.IsNullOrWhiteSpace(config.Out))
        {
            throw new ConfigException(null, "out", "is required: the run directory");
        }

        foreach (var (src, what) in new[] { (train, "training"), (heldOut, "held-out"), (test, "test") })
        {
            if (src is not null && (src.NumClasses != model.NumClasses || !src.InputShape.SequenceEqual(model.InputShape)))
            {
                throw new ArgumentException($"the {what} data has {src.NumClasses} classes of shape {Shape.Format(src.InputShape)}; " +
                    $"the model expects {model.NumClasses} of {Shape.Format(model.InputShape)}");
            }
        }

        if (train.BatchesPerEpoch <= 0)
        {
            throw new ArgumentException($"the training data gives no batch per epoch ({train.Count} samples, batch size {config.BatchSize})");
        }

        Model = model;
        Config = config;
        RunDir = Path.GetFullPath(config.Out);
        _train = train;
        _heldOut = heldOut;
        _test = test;
        _observer = observer ?? new NullObserver();
        Loss = new MultiExitLoss(config.LossOptions().ForModel(model));
        var groups = WeightDecayGroups.Split(model, config.WeightDecay);
        _params = [.. groups.SelectMany(g => g.Params)];

        // Gradients live for the whole run and are zero-filled before each step (zero_grad(set_to_none=False)): every
        // step, first or resumed, then accumulates into zeros the same way, and no step allocates gradient arrays.
        using (TensorMemory.Persistent())
        {
            foreach (var p in _params)
            {
                p.Grad ??= Tensor.ZerosLike(p);
            }
        }

        Optimizer = config.Optimizer == "adamw"
            ? new AdamW(groups, config.Lr, config.Beta1, config.Beta2, weightDecay: config.WeightDecay)
            : new Sgd(groups, config.Lr, config.Momentum, weightDecay: config.WeightDecay, nesterov: config.Nesterov);
        Schedule = BuildSchedule(config, train.BatchesPerEpoch);
        Ema = config.EmaDecay is { } decay ? new Ema(model, decay) { Warmup = config.EmaWarmup } : null;
        foreach (var (name, m) in model.NamedModules())
        {
            var rng = m switch { Dropout d => d.Rng, DropPath p => p.Rng, _ => null };
            if (rng is not null && !_rngs.Values.Any(r => ReferenceEquals(r, rng)))
            {
                _rngs[name] = rng;
            }
        }

        _acc = NewAccumulators();
    }

    /// <summary>The model being trained.</summary>
    public MultiExitModel Model { get; }

    /// <summary>The effective config.</summary>
    public TrainConfig Config { get; }

    /// <summary>The run directory (absolute).</summary>
    public string RunDir { get; }

    /// <summary>The loss.</summary>
    public MultiExitLoss Loss { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule, applied per step.</summary>
    public LrSchedule Schedule { get; }

    /// <summary>The EMA of the weights, or null.</summary>
    public Ema? Ema { get; }

    /// <summary>Epoch in progress, from 0 (equals the epoch count when done).</summary>
    public int Epoch { get; private set; }

    /// <summary>Batches of <see cref="Epoch"/> trained.</summary>
    public int BatchInEpoch { get; private set; }

    /// <summary>Optimizer steps done.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>The last complete checkpoint written or resumed from, or null.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>Random generators whose states checkpoints save, by name (every Dropout/DropPath RNG of the model,
    /// plus those added with <see cref="TrackRng"/>).</summary>
    public IReadOnlyDictionary<string, Rng> Rngs => _rngs;

    /// <summary>Adds a random generator the model uses beyond its Dropout/DropPath layers, so checkpoints save it.</summary>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public void TrackRng(string name, Rng rng)
    {
        if (!_rngs.TryAdd(name, rng))
        {
            throw new ArgumentException($"an RNG named '{name}' is already tracked");
        }
    }

    /// <summary>Trains until <see cref="TrainConfig.Epochs"/> are done, from the current position.</summary>
    /// <returns>The log entries of the epochs finished by this call.</returns>
    /// <exception cref="TrainingDivergedException">A loss or the gradient norm became NaN or infinite. The bad step's
    /// update is not applied and no checkpoint is written, but the in-memory model is not usable (its forward pass may
    /// have updated BatchNorm statistics with the bad batch): resume a new trainer from the last checkpoint.</exception>
    /// <exception cref="InvalidOperationException">A fresh trainer would overwrite a run that has checkpoints.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (between steps).</exception>
    public IReadOnlyList<EpochLogEntry> Run(CancellationToken cancellationToken = default)
    {
        var logged = new List<EpochLogEntry>();
        if (!_resumed)
        {
            StartFresh();
        }

        int epochs = Config.Epochs, perEpoch = _train.BatchesPerEpoch;
        while (Epoch < epochs)
        {
            _observer.OnEpochStart(Epoch, epochs, BatchInEpoch, perEpoch);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long samplesAtStart = _acc.Samples;
            using (var batches = _train.GetEpoch(Epoch, BatchInEpoch).GetEnumerator())
            {
                while (BatchInEpoch < perEpoch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!batches.MoveNext())
                    {
                        throw new InvalidOperationException($"the training data ended after {BatchInEpoch} of {perEpoch} batches");
                    }

                    TrainStep(batches.Current);
                    double rate = (_acc.Samples - samplesAtStart) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    _observer.OnStep(new StepReport(Epoch, epochs, BatchInEpoch, perEpoch, GlobalStep, _acc.LastLr,
                        _acc.LossSum / _acc.Samples, [.. _acc.ExitCorrect.Select(c => c / (double)_acc.Samples)], rate));
                    if (Config.CheckpointEverySteps > 0 && GlobalStep % Config.CheckpointEverySteps == 0 && BatchInEpoch < perEpoch)
                    {
                        SaveCheckpoint();
                    }
                }
            }

            double trainSeconds = clock.Elapsed.TotalSeconds;
            var entry = FinishEpoch(trainSeconds, samplesAtStart, clock);
            logged.Add(entry);
            if (Epoch == epochs || (Config.CheckpointEveryEpochs > 0 && Epoch % Config.CheckpointEveryEpochs == 0))
            {
                SaveCheckpoint();
            }
        }

        ExportFinalWeights();
        return logged;
    }

    private EpochAccumulators NewAccumulators()
    {
        int e = Model.Exits.Count;
        return new EpochAccumulators { ExitLossSum = new double[e], ExitDistillSum = new double[e], ExitCorrect = new long[e] };
    }

    private static LrSchedule BuildSchedule(TrainConfig c, int perEpoch)
    {
        long total = (long)c.Epochs * perEpoch;
        long warmup = (long)Math.Round(c.WarmupEpochs * perEpoch);
        return c.Schedule switch
        {
            "cosine" => new CosineSchedule(total, Math.Min(warmup, total - 1), c.MinLr, c.WarmupStartLr),
            "step" => new WarmupSchedule(warmup, c.WarmupStartLr, new StepSchedule([.. c.LrMilestones!.Select(m => (long)m * perEpoch)], c.LrGamma)),
            _ => new WarmupSchedule(warmup, c.WarmupStartLr, null),
        };
    }

    private sealed class NullObserver : ITrainingObserver
    {
    }
}
