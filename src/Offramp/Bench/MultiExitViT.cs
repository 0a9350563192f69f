using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// Reference model (b) of the peer benchmark, <c>vit</c> (<c>MultiExitViT</c> of <c>torch_bench.py</c>; Dosovitskiy
/// et al. 2021, ViT): 4×4 patches embedded by a strided convolution to width 192, a learned CLS token and position
/// embedding, <c>depth</c> pre-norm <see cref="Block"/>s (3 heads, MLP ×4), and a LayerNorm + Linear exit on the
/// CLS token (<see cref="TokenExit"/>) after every second block.
/// Children and parameters: <c>patch</c>, <c>cls</c> (1, 1, D), <c>pos</c> (1, T+1, D), <c>blocks</c>, <c>exits</c>.
/// Deviation: <c>pos</c> is drawn N(0, 0.02²) from the Offramp <see cref="Rng"/>, not torch's generator.
/// </summary>
public sealed class MultiExitViT : BenchModel
{
    /// <summary>Creates the model for <paramref name="input"/> (square images only, as in the script).</summary>
    /// <exception cref="ArgumentException">The image is not square or not divisible into patches; the width is
    /// not divisible by the heads; or <paramref name="depth"/> is not a positive multiple of <paramref name="exitEvery"/>.</exception>
    public MultiExitViT(BenchInput input, Rng rng, int numClasses = 10, int dim = 192, int depth = 6, int heads = 3,
        int patch = 4, int exitEvery = 2)
        : base(input, numClasses)
    {
        if (input.Height != input.Width || input.Height % patch != 0 || depth <= 0 || exitEvery <= 0 || depth % exitEvery != 0)
        {
            throw new ArgumentException($"MultiExitViT: image {input.Height}×{input.Width}, patch {patch}, depth {depth}, " +
                $"exit_every {exitEvery}: need a square image divisible by the patch and depth a multiple of exit_every");
        }

        Dim = dim;
        ExitEvery = exitEvery;
        Patch = RegisterModule("patch", new Conv2d(input.Channels, dim, patch, rng, stride: patch));
        int tokens = (input.Height / patch) * (input.Width / patch);
        Cls = RegisterParameter("cls", NewTensor(1, 1, dim));
        Pos = RegisterParameter("pos", Init.Normal(NewTensor(1, tokens + 1, dim), rng, 0.0, 0.02));
        Blocks = RegisterModule("blocks", new ModuleList<Block>(Enumerable.Range(0, depth).Select(_ => new Block(dim, heads, rng))));
        Exits = RegisterModule("exits", new ModuleList<TokenExit>(
            Enumerable.Range(0, depth / exitEvery).Select(_ => new TokenExit(dim, numClasses, rng))));
    }

    /// <summary>Token width D.</summary>
    public int Dim { get; }

    /// <summary>An exit after every this many blocks.</summary>
    public int ExitEvery { get; }

    /// <summary>Patch embedding: C → D, kernel and stride = patch size.</summary>
    public Conv2d Patch { get; }

    /// <summary>CLS token, (1, 1, D), zeros.</summary>
    public Tensor Cls { get; }

    /// <summary>Position embedding, (1, T + 1, D).</summary>
    public Tensor Pos { get; }

    /// <summary>The transformer blocks.</summary>
    public ModuleList<Block> Blocks { get; }

    /// <summary>The exit heads.</summary>
    public ModuleList<TokenExit> Exits { get; }

    /// <inheritdoc/>
    public override int ExitCount => Exits.Count;

    private protected override IReadOnlyList<Tensor> RunExits(Tensor x, int upto)
    {
        x = Patch.Forward(x).Flatten(2).Transpose(1, 2); // (B, T, D)
        int b = x.Shape[0];
        x = Tensor.Cat([Cls.Expand(b, 1, Dim), x], 1).Add(Pos);
        var outs = new List<Tensor>(upto);
        for (int i = 0; i < Blocks.Count; i++)
        {
            x = Blocks[i].Forward(x);
            if ((i + 1) % ExitEvery == 0)
            {
                outs.Add(Exits[outs.Count].Forward(x));
                if (outs.Count >= upto)
                {
                    break;
                }
            }
        }

        return outs;
    }

    private protected override IEnumerable<Tensor> ParametersUpToExit(int exit) =>
        Patch.Parameters().Append(Cls).Append(Pos)
            .Concat(Blocks.Take(exit * ExitEvery).SelectMany(b => b.Parameters()))
            .Concat(Exits.Take(exit).SelectMany(e => e.Parameters()));

    private protected override long[] ComputeMacsPerExit()
    {
        int h = Input.Height, w = Input.Width;
        long total = Macs.Conv(Patch, ref h, ref w);
        int tokens = h * w + 1;
        var macs = new long[ExitCount];
        for (int i = 0; i < Blocks.Count; i++)
        {
            total += Blocks[i].Macs(tokens);
            if ((i + 1) % ExitEvery == 0)
            {
                int e = (i + 1) / ExitEvery - 1;
                total += Macs.Linear(Exits[e].Fc, 1);
                macs[e] = total;
            }
        }

        return macs;
    }
}
