using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// Reference model (a) of the peer benchmark, <c>cnn</c> (<c>MultiExitResNet</c> of <c>torch_bench.py</c>): a
/// 3×3 stem and 3 stages × 2 <see cref="BasicBlock"/>s of widths 32/64/128 with strides 1/2/2 (BatchNorm, ReLU),
/// and a global-average-pool + Linear exit (<see cref="GapExit"/>) after every stage.
/// Children: <c>stem</c>, <c>stages</c>, <c>exits</c>, as in the script. No deviation from the script.
/// </summary>
public sealed class MultiExitResNet : BenchModel
{
    /// <summary>Creates the model for <paramref name="input"/>; every layer is initialised from <paramref name="rng"/>
    /// with PyTorch's default initialisation.</summary>
    public MultiExitResNet(BenchInput input, Rng rng, int numClasses = 10)
        : base(input, numClasses)
    {
        var (stem, stages) = ResNetStages.Make(input.Channels, ResNetStages.Widths, ResNetStages.BlocksPerStage, rng);
        Stem = RegisterModule("stem", stem);
        Stages = RegisterModule("stages", stages);
        Exits = RegisterModule("exits", new ModuleList<GapExit>(ResNetStages.Widths.Select(w => new GapExit(w, numClasses, rng))));
    }

    /// <summary>Conv3×3 + BatchNorm + ReLU.</summary>
    public Sequential Stem { get; }

    /// <summary>The three stages.</summary>
    public ModuleList<Sequential> Stages { get; }

    /// <summary>One head per stage.</summary>
    public ModuleList<GapExit> Exits { get; }

    /// <inheritdoc/>
    public override int ExitCount => Exits.Count;

    private protected override IReadOnlyList<Tensor> RunExits(Tensor x, int upto)
    {
        x = ResNetStages.StemForward(Stem, x);
        var outs = new List<Tensor>(upto);
        for (int i = 0; i < upto; i++)
        {
            x = Stages[i].Forward(x);
            outs.Add(Exits[i].Forward(x));
        }

        return outs;
    }

    private protected override IEnumerable<Tensor> ParametersUpToExit(int exit) =>
        Stem.Parameters().Concat(Stages.Take(exit).SelectMany(s => s.Parameters()))
            .Concat(Exits.Take(exit).SelectMany(e => e.Parameters()));

    private protected override long[] ComputeMacsPerExit()
    {
        var stages = ResNetStages.StageMacs(Stem, Stages, Input.Height, Input.Width);
        var macs = new long[ExitCount];
        long total = 0;
        for (int i = 0; i < macs.Length; i++)
        {
            total += stages[i].Macs + Macs.Linear(Exits[i].Fc, 1);
            macs[i] = total;
        }

        return macs;
    }
}
