namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over (N, C) or (N, C, *). In training, normalises with the batch statistics (biased
    /// variance) and, when running stats are given, updates them in place with <paramref name="momentum"/> using
    /// the unbiased variance (PyTorch). In eval, uses the running stats.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum = 0.1, double eps = 1e-5) => throw Todo(nameof(BatchNorm));

    /// <summary>Layer normalisation over the trailing <paramref name="normalizedShape"/> dims.</summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias, double eps = 1e-5)
        => throw Todo(nameof(LayerNorm));
}
