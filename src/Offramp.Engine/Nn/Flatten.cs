namespace Offramp.Engine.Nn;

/// <summary>
/// Flattens dims <see cref="StartDim"/>..<see cref="EndDim"/> into one (<c>torch.nn.Flatten</c>; defaults keep
/// the batch dim: (N, C, H, W) → (N, C·H·W)).
/// </summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First flattened dim.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last flattened dim (negative counts from the end).</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
