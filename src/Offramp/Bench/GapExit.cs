using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// The cnn model's exit head (<c>GapExit</c> of <c>torch_bench.py</c>): global average pooling then one
/// Linear, child <c>fc</c>.
/// </summary>
public sealed class GapExit : Module
{
    /// <summary>Creates the head for <paramref name="channels"/> input channels.</summary>
    public GapExit(int channels, int numClasses, Rng rng) =>
        Fc = RegisterModule("fc", new Linear(channels, numClasses, rng));

    /// <summary>The classifier (C → K).</summary>
    public Linear Fc { get; }

    /// <summary>x: (N, C, H, W) → (N, K).</summary>
    public override Tensor Forward(Tensor x) => Fc.Forward(x.Mean([2, 3]));
}
