using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// Reference model (c) of the peer benchmark, <c>dp</c> (<c>DualBranchPerceiver</c> of <c>torch_bench.py</c>; after
/// Han et al. 2023, "Dynamic Perceiver for Efficient Visual Recognition"): a CNN branch (model (a)'s stem and
/// stages) and a latent branch of 16 × 128 learned latents. After every stage the latents cross-attend to the
/// stage's H·W feature tokens (<see cref="CrossAttnBlock"/>), go through one self-attention <see cref="Block"/>
/// (4 heads), and an exit reads LayerNorm + mean over latents + Linear (<see cref="TokenExit"/>).
/// Children and parameters: <c>stem</c>, <c>stages</c>, <c>latents</c> (1, L, D), <c>cross</c>, <c>selfb</c>, <c>exits</c>.
/// Deviation: <c>latents</c> are drawn N(0, 0.02²) from the Offramp <see cref="Rng"/>, not torch's generator.
/// </summary>
public sealed class DualBranchPerceiver : BenchModel
{
    /// <summary>Creates the model for <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="latentDim"/> is not divisible by <paramref name="heads"/>.</exception>
    public DualBranchPerceiver(BenchInput input, Rng rng, int numClasses = 10, int latents = 16, int latentDim = 128, int heads = 4)
        : base(input, numClasses)
    {
        var widths = ResNetStages.Widths;
        var (stem, stages) = ResNetStages.Make(input.Channels, widths, ResNetStages.BlocksPerStage, rng);
        Stem = RegisterModule("stem", stem);
        Stages = RegisterModule("stages", stages);
        Latents = RegisterParameter("latents", Init.Normal(NewTensor(1, latents, latentDim), rng, 0.0, 0.02));
        Cross = RegisterModule("cross", new ModuleList<CrossAttnBlock>(widths.Select(w => new CrossAttnBlock(latentDim, w, heads, rng))));
        Selfb = RegisterModule("selfb", new ModuleList<Block>(widths.Select(_ => new Block(latentDim, heads, rng))));
        Exits = RegisterModule("exits", new ModuleList<TokenExit>(widths.Select(_ => new TokenExit(latentDim, numClasses, rng, TokenPool.Mean))));
    }

    /// <summary>Conv3×3 + BatchNorm + ReLU.</summary>
    public Sequential Stem { get; }

    /// <summary>The three CNN stages.</summary>
    public ModuleList<Sequential> Stages { get; }

    /// <summary>Learned latents, (1, L, D).</summary>
    public Tensor Latents { get; }

    /// <summary>Latents ← stage-features cross-attention, one per stage.</summary>
    public ModuleList<CrossAttnBlock> Cross { get; }

    /// <summary>Latent self-attention blocks, one per stage.</summary>
    public ModuleList<Block> Selfb { get; }

    /// <summary>The exit heads.</summary>
    public ModuleList<TokenExit> Exits { get; }

    /// <inheritdoc/>
    public override int ExitCount => Exits.Count;

    private protected override IReadOnlyList<Tensor> RunExits(Tensor x, int upto)
    {
        x = ResNetStages.StemForward(Stem, x);
        var z = Latents.Expand(x.Shape[0], Latents.Shape[1], Latents.Shape[2]);
        var outs = new List<Tensor>(upto);
        for (int i = 0; i < upto; i++)
        {
            x = Stages[i].Forward(x);
            z = Cross[i].Forward(z, x.Flatten(2).Transpose(1, 2));
            z = Selfb[i].Forward(z);
            outs.Add(Exits[i].Forward(z));
        }

        return outs;
    }

    private protected override IEnumerable<Tensor> ParametersUpToExit(int exit) =>
        Stem.Parameters().Append(Latents)
            .Concat(Stages.Take(exit).SelectMany(s => s.Parameters()))
            .Concat(Cross.Take(exit).SelectMany(c => c.Parameters()))
            .Concat(Selfb.Take(exit).SelectMany(b => b.Parameters()))
            .Concat(Exits.Take(exit).SelectMany(e => e.Parameters()));

    private protected override long[] ComputeMacsPerExit()
    {
        var stages = ResNetStages.StageMacs(Stem, Stages, Input.Height, Input.Width);
        int latents = Latents.Shape[1];
        var macs = new long[ExitCount];
        long total = 0;
        for (int i = 0; i < macs.Length; i++)
        {
            var (m, _, h, w) = stages[i];
            total += m + Cross[i].Attn.Macs(latents, h * w) + Selfb[i].Macs(latents) + Macs.Linear(Exits[i].Fc, 1);
            macs[i] = total;
        }

        return macs;
    }
}
