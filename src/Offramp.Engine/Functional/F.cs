namespace Offramp.Engine.Functional;

/// <summary>How a loss reduces over the batch (PyTorch's <c>reduction=</c>).</summary>
public enum Reduction
{
    /// <summary>Average over elements (or over samples for cross-entropy).</summary>
    Mean,

    /// <summary>Sum.</summary>
    Sum,

    /// <summary>No reduction: one value per sample / element.</summary>
    None,

    /// <summary>Sum divided by the batch size (KL divergence's mathematically correct mean).</summary>
    BatchMean,
}

/// <summary>
/// Functional neural-network ops (<c>torch.nn.functional</c>): each takes tensors and returns a tensor,
/// records its backward, and validates shapes with messages that name them. Modules in <c>Nn</c> wrap these.
/// </summary>
public static partial class F
{
    internal static NotImplementedException Todo(string op) => new($"F.{op} is not implemented yet");
}
