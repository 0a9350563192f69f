// Dynamic Perceiver: the staged forward in the paper's sequential order (§3.3, Fig. 7; papers/dynamic-perceiver.md
// §A.3). Segment 0 runs both branches through stages 1–2 and the C-branch through stage 3 (the CNN only up to
// stage 2); segment 1 adds CNN stage 3 and C-branch stage 4; segment 2 CNN stage 4 and its head; segment 3 the last
// Z2X and the merge head. ForwardAll is the same path without compaction, so it equals the official forward.
using Offramp.Engine;

namespace Offramp.Models.Perceiver;

public sealed partial class DynamicPerceiver
{
    /// <summary>Exit names in the official order.</summary>
    public static IReadOnlyList<string> ExitNames { get; } = ["early3", "att", "cnn", "merge"];

    /// <inheritdoc/>
    protected override ExitState StartCore(Tensor input)
    {
        var x = Backbone.Stem(input);
        var z = Latent.Unsqueeze(0).Expand(input.Shape[0], Latent.Shape[0], Latent.Shape[1]);
        return new DynPerceiverState { X = x, Z = z };
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The state is not a <see cref="DynPerceiverState"/>.</exception>
    protected override Tensor RunToExitCore(ExitState state, int k)
    {
        if (state is not DynPerceiverState s)
        {
            throw new ArgumentException($"DynamicPerceiver.RunToExit expects a DynPerceiverState, got {state.GetType().Name}");
        }

        switch (k)
        {
            case 0:
                s.Z = _selfAtt[0].Forward(_x2z[0]!.Forward(s.Z, s.X));
                StageStep(s, 1);
                StageStep(s, 2);
                return s.PrevLogits = EarlyClassifier3.Forward(s.Z.Mean([1]));
            case 1:
                StageStep(s, 3);
                s.ZMean = s.Z.Mean([1]);
                var att = Isc3 is null ? s.ZMean : Tensor.Cat([s.ZMean, Isc3.Forward(s.PrevLogits!)], 1);
                return s.PrevLogits = ClassifierAtt.Forward(att);
            case 2:
                s.X = Backbone.Stage(3, s.X);
                s.XMean = Backbone.PreHead(GlobalAvgPool(s.X));
                return Backbone.CnnHead(s.XMean);
            default:
                // The official merge reuses the CNN exit's (dropped-out) pooled features when the last Z2X is off.
                var xm = LastZ2X is null ? s.XMean! : GlobalAvgPool(LastZ2X.Forward(s.X, s.Z));
                Tensor[] parts = Isc4 is null ? [xm, s.ZMean!] : [xm, s.ZMean!, Isc4.Forward(s.PrevLogits!)];
                return ClassifierMerge.Forward(Tensor.Cat(parts, 1));
        }
    }

    /// <summary>
    /// One step between stages, with <paramref name="next"/> the 0-based index (1..3) of the C-branch stage to run:
    /// X ← CNN stage next−1 (X), Z ← ψ(Z), X ← Z2X(X, Z), Z ← X2Z(Z, X), Z ← SA(Z).
    /// </summary>
    private void StageStep(DynPerceiverState s, int next)
    {
        s.X = Backbone.Stage(next - 1, s.X);
        s.Z = _mixers[next - 1].Forward(s.Z);
        if (_z2x[next] is { } z2x)
        {
            s.X = z2x.Forward(s.X, s.Z);
        }

        if (_x2z[next] is { } x2z)
        {
            s.Z = x2z.Forward(s.Z, s.X);
        }

        s.Z = _selfAtt[next].Forward(s.Z);
    }

    private static Tensor GlobalAvgPool(Tensor x) => x.Mean([2, 3]);
}
