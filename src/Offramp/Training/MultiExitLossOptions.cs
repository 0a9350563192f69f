using Offramp.Models;

namespace Offramp.Training;

/// <summary>How self-distillation from the final exit enters the total loss.</summary>
public enum DistillationMode
{
    /// <summary>
    /// Dynamic Perceiver's official code (<c>engine.train_one_epoch_earlyExit</c>, papers/dynamic-perceiver.md §A.4):
    /// L = Σ_k w_k·CE_k + α·Σ_{k&lt;K} KD_k. The task losses keep their weights; distillation is added on top.
    /// </summary>
    Additive,

    /// <summary>
    /// A convex mix per early exit: L = Σ_{k&lt;K} w_k·((1 − α)·CE_k + α·KD_k) + w_K·CE_K. This is the Dynamic
    /// Perceiver paper's Eq. 3 (L_k = α'·CE_k + (1 − α')·KD_k) with α' = 1 − α, so that α = 0 means "no
    /// distillation" in both modes.
    /// </summary>
    Convex,
}

/// <summary>What the exits are trained to predict.</summary>
public enum LossTask
{
    /// <summary>Class logits against labels or soft targets (cross-entropy).</summary>
    Classification,

    /// <summary>Real-valued outputs against targets of the same shape (mean squared error).</summary>
    Regression,
}

/// <summary>Settings of a <see cref="MultiExitLoss"/>.</summary>
public sealed record MultiExitLossOptions
{
    /// <summary>Weights of the per-exit task losses.</summary>
    public ExitWeighting Weights { get; init; } = ExitWeighting.Equal;

    /// <summary>Label smoothing ε in [0, 1) for hard labels (PyTorch's <c>label_smoothing</c>). Soft targets are used
    /// as given: mixup/cutmix fold smoothing into them, as timm does.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Weight α in [0, 1] of self-distillation from the final exit; 0 turns it off.</summary>
    public double DistillAlpha { get; init; }

    /// <summary>Distillation temperature T &gt; 0; the KL term is multiplied by T² (Hinton et al. 2015) so its
    /// gradients keep their scale as T changes.</summary>
    public double DistillTemperature { get; init; } = 1.0;

    /// <summary>How distillation is combined with the task losses.</summary>
    public DistillationMode DistillMode { get; init; } = DistillationMode.Additive;

    /// <summary>Classification (cross-entropy) or regression (MSE).</summary>
    public LossTask Task { get; init; } = LossTask.Classification;

    /// <summary>
    /// These options for <paramref name="model"/>. With the <c>model</c> exit weighting (<see cref="ExitWeighting.Model"/>),
    /// a model that has a <see cref="MultiExitModel.DefaultLoss"/> gets its weights and, when
    /// <see cref="DistillAlpha"/> is 0 (not set), its distillation α and T — so <c>offramp train --model
    /// resnet50_0375_perceiver_t128</c> trains with the official Dynamic Perceiver loss. Explicit weights or a named
    /// scheme leave everything as given (to train such a model without distillation, give its weights explicitly,
    /// e.g. <c>--exit-weights 0.5,0.5,1,1 --distill-alpha 0</c>).
    /// </summary>
    public MultiExitLossOptions ForModel(MultiExitModel model)
    {
        if (Weights.Scheme != ExitWeighting.Model.Scheme)
        {
            return this;
        }

        var resolved = this with { Weights = Weights.ForModel(model) };
        return model.DefaultLoss is { } d && DistillAlpha == 0
            ? resolved with { DistillAlpha = d.DistillAlpha, DistillTemperature = d.DistillTemperature }
            : resolved;
    }

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
        {
            throw new ArgumentException($"label smoothing must be in [0, 1), got {LabelSmoothing}");
        }

        if (!(DistillAlpha >= 0 && DistillAlpha <= 1))
        {
            throw new ArgumentException($"distillation alpha must be in [0, 1], got {DistillAlpha}");
        }

        if (!(DistillTemperature > 0 && double.IsFinite(DistillTemperature)))
        {
            throw new ArgumentException($"distillation temperature must be a finite number > 0, got {DistillTemperature}");
        }
    }
}
