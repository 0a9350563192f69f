using Offramp.Models;

namespace Offramp.Training;

/// <summary>
/// Every option of a training run, in one record. Files use the snake_case names (<c>batch_size</c>), the command
/// line the kebab-case ones (<c>--batch-size</c>); see <see cref="TrainConfigLoader"/>. The effective config is
/// saved as <c>config.json</c> in the run directory and inside every checkpoint.
/// </summary>
public sealed record TrainConfig
{
    // ---- model ----

    /// <summary>Registered model name (<see cref="ModelRegistry"/>); required.</summary>
    public string Model { get; set; } = "";

    /// <summary>Backbone width multiplier (<see cref="ModelOptions.WidthMultiplier"/>).</summary>
    public double WidthMultiplier { get; set; } = 1.0;

    /// <summary>Exit placement (<see cref="ModelOptions.ExitAfter"/>); null = the family's default.</summary>
    public int[]? ExitAfter { get; set; }

    /// <summary>Exit head kind (<see cref="ModelOptions.Head"/>); null = the family's default.</summary>
    public string? Head { get; set; }

    /// <summary>Family-specific model options (<see cref="ModelOptions.Extra"/>).</summary>
    public Dictionary<string, string>? ModelExtra { get; set; }

    // ---- data ----

    /// <summary>Data set: <c>fashion-mnist</c> or <c>synthetic</c> (generated class blobs, for smoke tests).</summary>
    public string Dataset { get; set; } = "fashion-mnist";

    /// <summary>Folder of the data set's files; null = the data set's default location.</summary>
    public string? DataDir { get; set; }

    /// <summary>Training samples held out (stratified) for per-epoch validation; 0 = none.</summary>
    public int HeldOut { get; set; } = 5000;

    /// <summary>Use only the first N training samples (after the held-out split); null = all.</summary>
    public int? TrainLimit { get; set; }

    /// <summary>Samples per training batch.</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Samples per evaluation batch.</summary>
    public int EvalBatchSize { get; set; } = 500;

    /// <summary>Drop the last, smaller batch of each epoch.</summary>
    public bool DropLast { get; set; }

    /// <summary>Random crop (padding <see cref="CropPadding"/>) and horizontal flip on training batches.</summary>
    public bool Augment { get; set; }

    /// <summary>Zero padding of the random crop when <see cref="Augment"/> is on (0 = flip only).</summary>
    public int CropPadding { get; set; } = 4;

    /// <summary>Random-erasing probability (0 = off).</summary>
    public double RandomErasing { get; set; }

    /// <summary>Mixup's Beta(α, α) parameter (0 = off).</summary>
    public double MixupAlpha { get; set; }

    /// <summary>CutMix's Beta(α, α) parameter (0 = off).</summary>
    public double CutmixAlpha { get; set; }

    /// <summary>Chance of mixing a batch when mixup or cutmix is on.</summary>
    public double MixupProb { get; set; } = 1.0;

    // ---- optimisation ----

    /// <summary>Number of epochs.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Optimizer: <c>sgd</c> or <c>adamw</c>.</summary>
    public string Optimizer { get; set; } = "sgd";

    /// <summary>Peak learning rate.</summary>
    public double Lr { get; set; } = 0.1;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>SGD Nesterov momentum.</summary>
    public bool Nesterov { get; set; }

    /// <summary>AdamW β1.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW β2.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Weight decay (L2 for SGD, decoupled for AdamW); biases and norm weights get none (timm).</summary>
    public double WeightDecay { get; set; } = 5e-4;

    /// <summary>Learning-rate schedule: <c>cosine</c>, <c>step</c> or <c>constant</c>; applied per step.</summary>
    public string Schedule { get; set; } = "cosine";

    /// <summary>Linear warm-up length in epochs (may be fractional).</summary>
    public double WarmupEpochs { get; set; }

    /// <summary>Learning rate at the start of the warm-up.</summary>
    public double WarmupStartLr { get; set; }

    /// <summary>Final learning rate of the cosine schedule.</summary>
    public double MinLr { get; set; }

    /// <summary>Epochs at which the <c>step</c> schedule multiplies the rate by <see cref="LrGamma"/>.</summary>
    public int[]? LrMilestones { get; set; }

    /// <summary>Decay factor of the <c>step</c> schedule.</summary>
    public double LrGamma { get; set; } = 0.1;

    /// <summary>Clip the global gradient norm to this value; null = no clipping.</summary>
    public double? GradClip { get; set; }

    /// <summary>EMA decay of the weights (e.g. 0.999); null = no EMA. With EMA, evaluation uses the EMA weights.</summary>
    public double? EmaDecay { get; set; }

    /// <summary>With EMA, use the decay min(ema_decay, (1 + step) / (10 + step)) early in training (TensorFlow's
    /// num_updates rule), so short runs are not dominated by the initial weights.</summary>
    public bool EmaWarmup { get; set; } = true;

    // ---- loss ----

    /// <summary>Per-exit loss weights (see <see cref="ExitWeighting"/>): equal, increasing, final2, model (the model's
    /// own recipe, else equal; the default) or numbers.</summary>
    public ExitWeighting ExitWeights { get; set; } = ExitWeighting.Model;

    /// <summary>Label smoothing ε for hard labels (mixup/cutmix fold it into their soft targets).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Self-distillation weight α (0 = off); see <see cref="MultiExitLoss"/>.</summary>
    public double DistillAlpha { get; set; }

    /// <summary>Self-distillation temperature T.</summary>
    public double DistillTemperature { get; set; } = 1.0;

    /// <summary>Self-distillation form: <c>additive</c> (Dyn-Perceiver code) or <c>convex</c> (paper Eq. 3).</summary>
    public string DistillMode { get; set; } = "additive";

    // ---- run ----

    /// <summary>Seed of everything random: initialisation, data order, augmentation, dropout.</summary>
    public ulong Seed { get; set; }

    /// <summary>Kernel threads (<c>Parallelism.Threads</c>); null = every core. Results do not depend on it.</summary>
    public int? Threads { get; set; }

    /// <summary>Run directory (config, log, checkpoints, final weights).</summary>
    public string? Out { get; set; }

    /// <summary>Write a checkpoint every N epochs (0 = only at the end).</summary>
    public int CheckpointEveryEpochs { get; set; } = 1;

    /// <summary>Also write a checkpoint every N optimizer steps (0 = off).</summary>
    public int CheckpointEverySteps { get; set; }

    /// <summary>The loss settings this config describes.</summary>
    public MultiExitLossOptions LossOptions() => new()
    {
        Weights = ExitWeights,
        LabelSmoothing = LabelSmoothing,
        DistillAlpha = DistillAlpha,
        DistillTemperature = DistillTemperature,
        DistillMode = DistillMode == "convex" ? DistillationMode.Convex : DistillationMode.Additive,
    };

    /// <summary>The model options for a data set with <paramref name="numClasses"/> classes and per-sample
    /// <paramref name="inputShape"/>.</summary>
    public ModelOptions ModelOptions(int numClasses, int[] inputShape) => new()
    {
        NumClasses = numClasses,
        InputShape = inputShape,
        WidthMultiplier = WidthMultiplier,
        ExitAfter = ExitAfter,
        Head = Head,
        Seed = Seed,
        Extra = ModelExtra ?? new Dictionary<string, string>(),
    };

    /// <summary>Checks every value; each message names the key as written in files.</summary>
    /// <exception cref="ConfigException">A value is missing or out of range.</exception>
    public void Validate(string? source = null)
    {
        void Fail(string key, string why) => throw new ConfigException(source, key, why);
        void OneOf(string key, string value, params string[] allowed)
        {
            if (!allowed.Contains(value, StringComparer.Ordinal))
            {
                Fail(key, $"'{value}' is not one of {string.Join(", ", allowed)}");
            }
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            Fail("model", "is required (a registered model name; `offramp models` lists them)");
        }

        OneOf("dataset", Dataset, "fashion-mnist", "synthetic");
        OneOf("optimizer", Optimizer, "sgd", "adamw");
        OneOf("schedule", Schedule, "cosine", "step", "constant");
        OneOf("distill_mode", DistillMode, "additive", "convex");
        if (!(WidthMultiplier > 0 && double.IsFinite(WidthMultiplier)))
        {
            Fail("width_multiplier", $"must be > 0, got {WidthMultiplier}");
        }

        Positive("batch_size", BatchSize);
        Positive("eval_batch_size", EvalBatchSize);
        Positive("epochs", Epochs);
        NonNegative("held_out", HeldOut);
        if (CropPadding is < 0 or > 14)
        {
            Fail("crop_padding", $"must be in 0..14 (pixels of a 28-pixel side), got {CropPadding}");
        }

        NonNegative("checkpoint_every_epochs", CheckpointEveryEpochs);
        NonNegative("checkpoint_every_steps", CheckpointEverySteps);
        if (TrainLimit is { } tl)
        {
            Positive("train_limit", tl);
        }

        if (Threads is { } th)
        {
            Positive("threads", th);
        }

        Range("lr", Lr, 0, double.MaxValue);
        Range("momentum", Momentum, 0, double.MaxValue);
        Range("beta1", Beta1, 0, 0.999999999);
        Range("beta2", Beta2, 0, 0.999999999);
        Range("weight_decay", WeightDecay, 0, double.MaxValue);
        Range("warmup_epochs", WarmupEpochs, 0, Epochs);
        if (WarmupEpochs >= Epochs && Schedule == "cosine")
        {
            Fail("warmup_epochs", $"must be shorter than the {Epochs} epochs of the run, got {WarmupEpochs}");
        }

        Range("warmup_start_lr", WarmupStartLr, 0, double.MaxValue);
        Range("min_lr", MinLr, 0, double.MaxValue);
        Range("lr_gamma", LrGamma, 0, double.MaxValue);
        Range("label_smoothing", LabelSmoothing, 0, 0.999999999);
        Range("distill_alpha", DistillAlpha, 0, 1);
        Range("distill_temperature", DistillTemperature, 1e-12, double.MaxValue);
        Range("random_erasing", RandomErasing, 0, 1);
        Range("mixup_alpha", MixupAlpha, 0, double.MaxValue);
        Range("cutmix_alpha", CutmixAlpha, 0, double.MaxValue);
        Range("mixup_prob", MixupProb, 0, 1);
        if (GradClip is { } gc)
        {
            Range("grad_clip", gc, 1e-12, double.MaxValue);
        }

        if (EmaDecay is { } ema)
        {
            Range("ema_decay", ema, 0, 1);
        }

        if (Schedule == "step" && (LrMilestones is null || LrMilestones.Length == 0))
        {
            Fail("lr_milestones", "the step schedule needs milestones (epochs), e.g. [30, 60]");
        }

        if (LrMilestones is { } ms && (ms.Any(m => m < 0) || ms.Zip(ms.Skip(1)).Any(p => p.First >= p.Second)))
        {
            Fail("lr_milestones", $"must be increasing epochs >= 0, got [{string.Join(", ", ms)}]");
        }

        void Positive(string key, int v)
        {
            if (v <= 0)
            {
                Fail(key, $"must be > 0, got {v}");
            }
        }

        void NonNegative(string key, int v)
        {
            if (v < 0)
            {
                Fail(key, $"must be >= 0, got {v}");
            }
        }

        void Range(string key, double v, double lo, double hi)
        {
            if (!(v >= lo && v <= hi))
            {
                Fail(key, $"must be in [{lo}, {(hi == double.MaxValue ? "∞" : hi)}], got {v}");
            }
        }
    }
}
