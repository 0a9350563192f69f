// A RegNet stage (Radosavovic et al., CVPR 2020, AnyNet: a sequence of blocks with one output width) as
// torchvision.models.regnet.AnyStage (torchvision 0.14), with the c_in / c_out attributes the Dynamic Perceiver's copy
// (LeapLabTHU/Dynamic_Perceiver, models/cnn_core/regnet.py) adds to size its latent and cross-attentions.
// Deviations: none (the official copy is an nn.ModuleList, torchvision's an nn.Sequential: same keys, same forward).
using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.RegNets;

/// <summary>
/// One RegNet stage: <see cref="ResBottleneckBlock"/>s named <c>block{s}-{i}</c> (s the 1-based stage index); the
/// first carries the stride and the width change.
/// </summary>
public sealed class AnyStage : Module
{
    private readonly List<ResBottleneckBlock> _blocks = [];

    /// <summary>Creates stage <paramref name="stageIndex"/> (1-based) of <paramref name="depth"/> blocks.</summary>
    /// <exception cref="ArgumentException">The depth is not positive, or a block's settings are invalid.</exception>
    public AnyStage(int widthIn, int widthOut, int stride, int depth, int groupWidth, double bottleneckMultiplier,
        double? seRatio, int stageIndex, Rng rng)
    {
        if (depth <= 0)
        {
            throw new ArgumentException($"AnyStage {stageIndex}: depth must be positive, got {depth}");
        }

        CIn = widthIn;
        COut = widthOut;
        for (int i = 0; i < depth; i++)
        {
            var block = new ResBottleneckBlock(i == 0 ? widthIn : widthOut, widthOut, i == 0 ? stride : 1,
                groupWidth, bottleneckMultiplier, seRatio, rng);
            _blocks.Add(RegisterModule(string.Create(CultureInfo.InvariantCulture, $"block{stageIndex}-{i}"), block));
        }
    }

    /// <summary>Input channels of the stage (the official copy's <c>c_in</c>).</summary>
    public int CIn { get; }

    /// <summary>Output channels of the stage (<c>c_out</c>).</summary>
    public int COut { get; }

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<ResBottleneckBlock> Blocks => _blocks;

    /// <summary>Output spatial size for an h×w input.</summary>
    public (int H, int W) OutputSize(int h, int w) => _blocks.Aggregate((h, w), (s, b) => b.OutputSize(s.h, s.w));

    /// <summary>MACs per sample of the whole stage for an h×w input.</summary>
    public long Macs(int h, int w)
    {
        long macs = 0;
        foreach (var b in _blocks)
        {
            macs += b.Macs(h, w);
            (h, w) = b.OutputSize(h, w);
        }

        return macs;
    }

    /// <summary>x: (N, c_in, H, W) → (N, c_out, OH, OW).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> does not have c_in channels.</exception>
    public override Tensor Forward(Tensor x)
    {
        foreach (var b in _blocks)
        {
            x = b.Forward(x);
        }

        return x;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"c_in={CIn}, c_out={COut}, depth={_blocks.Count}";
}
