namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>Cross-entropy of logits (N, K) against class indices, with optional label smoothing (PyTorch).</summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, double labelSmoothing = 0.0, Reduction reduction = Reduction.Mean)
        => throw Todo(nameof(CrossEntropy));

    /// <summary>Cross-entropy of logits (N, K) against soft targets (N, K) (probabilities; mixup/cutmix).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor softTargets, double labelSmoothing = 0.0, Reduction reduction = Reduction.Mean)
        => throw Todo(nameof(CrossEntropy));

    /// <summary>
    /// KL divergence as <c>F.kl_div(input, target)</c>: <paramref name="input"/> holds log-probabilities,
    /// <paramref name="target"/> probabilities (or log-probabilities when <paramref name="logTarget"/>).
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.BatchMean, bool logTarget = false)
        => throw Todo(nameof(KlDiv));

    /// <summary>Mean squared error.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => throw Todo(nameof(MseLoss));

    /// <summary>Mean absolute error.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) => throw Todo(nameof(L1Loss));
}
