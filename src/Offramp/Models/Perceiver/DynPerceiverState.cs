// Dynamic Perceiver (Han et al., ICCV 2023) §3.3: what the staged (early-exit) forward carries between exits.
using Offramp.Engine;

namespace Offramp.Models.Perceiver;

/// <summary>
/// The running state of a <see cref="DynamicPerceiver"/> between exits: the feature map X, the latent Z, the
/// token-mean of the final latent (after exit "att"), the pooled CNN features (after exit "cnn") and the previous
/// exit's logits (forward knowledge transfer). <see cref="ExitState.Keep"/> selects rows of all of them.
/// </summary>
public sealed class DynPerceiverState : ExitState
{
    /// <summary>The feature map (B, C, H, W).</summary>
    public required Tensor X { get; set; }

    /// <summary>The latent code (B, L, C).</summary>
    public required Tensor Z { get; set; }

    /// <summary>Token-mean of the stage-4 latent (B, C_4), once computed.</summary>
    public Tensor? ZMean { get; set; }

    /// <summary>Pooled (and head-dropped) stage-4 features (B, C_out), once computed.</summary>
    public Tensor? XMean { get; set; }

    /// <summary>The last exit's logits (B, K), for forward knowledge transfer.</summary>
    public Tensor? PrevLogits { get; set; }

    /// <inheritdoc/>
    public override int BatchSize => X.Shape[0];

    /// <inheritdoc/>
    protected override ExitState KeepRows(int[] rows) => new DynPerceiverState
    {
        X = SelectRows(X, rows),
        Z = SelectRows(Z, rows),
        ZMean = ZMean is null ? null : SelectRows(ZMean, rows),
        XMean = XMean is null ? null : SelectRows(XMean, rows),
        PrevLogits = PrevLogits is null ? null : SelectRows(PrevLogits, rows),
    };

    /// <inheritdoc/>
    protected override ExitState ConcatRows(IReadOnlyList<ExitState> states) => new DynPerceiverState
    {
        X = CatRows<DynPerceiverState>(states, s => s.X)!,
        Z = CatRows<DynPerceiverState>(states, s => s.Z)!,
        ZMean = CatRows<DynPerceiverState>(states, s => s.ZMean),
        XMean = CatRows<DynPerceiverState>(states, s => s.XMean),
        PrevLogits = CatRows<DynPerceiverState>(states, s => s.PrevLogits),
    };
}
