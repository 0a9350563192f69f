namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>Inverted dropout: zeroes with probability p and scales the rest by 1/(1−p); identity when not training.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training, Rng rng) => throw Todo(nameof(Dropout));

    /// <summary>Stochastic depth (timm's drop_path): drops whole samples (dim 0) with probability p.</summary>
    public static Tensor DropPath(Tensor x, double p, bool training, Rng rng, bool scaleByKeep = true) => throw Todo(nameof(DropPath));
}
