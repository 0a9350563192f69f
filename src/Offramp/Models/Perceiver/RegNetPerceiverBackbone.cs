// The RegNetY feature branch of the Dynamic Perceiver (official models/dyn_perceiver_regnet.py over torchvision's
// regnet_y_*): cnn_stem = stem, cnn_body = trunk_output (stages block1..block4, keys cnn_body.block1.block1-0.…),
// avgpool, classifier_cnn = fc on the pooled features (no dropout). C_1..C_4 are the stages' c_in, C_out block4's
// c_out.
// Deviations:
// - Small inputs (under 64 pixels a side): stem stride 1 and stage-1 stride 1, as Offramp's MultiExitRegNetY.
// - Width multiplier other than 1: Offramp's extension of RegNetY (RegNetBlockParams.Scale; stem
//   make_divisible(32·m, 8)); 1 is torchvision exactly.
// - CNN MACs in torchvision's convention (the SE convs counted); the official forward_calc_flops leaves them out.
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Blocks;
using Offramp.Models.RegNets;

namespace Offramp.Models.Perceiver;

/// <summary>A torchvision RegNetY as the Dynamic Perceiver's F-branch.</summary>
public sealed class RegNetPerceiverBackbone : PerceiverBackbone
{
    private readonly RegNetY _net;
    private readonly List<(int C, int H, int W)> _shapes = [];
    private readonly long[] _stageMacs = new long[4];

    /// <summary>Builds the backbone for per-sample input (C, H, W).</summary>
    /// <exception cref="ArgumentException">The RegNet does not have 4 stages, or a setting is invalid.</exception>
    public RegNetPerceiverBackbone(RegNetBlockParams blockParams, double widthMultiplier, int[] inputShape,
        int numClasses, Rng rng)
    {
        if (blockParams.StageCount != 4 || !(widthMultiplier > 0))
        {
            throw new ArgumentException(
                $"RegNetPerceiverBackbone: needs a 4-stage RegNet and a positive width; got {blockParams.StageCount} stages, width {widthMultiplier}");
        }

        int h = inputShape[1], w = inputShape[2];
        SmallStem = h < 64 || w < 64;
        var p = blockParams.Scale(widthMultiplier);
        int stemWidth = widthMultiplier == 1.0 ? 32 : ChannelRounding.MakeDivisible(32 * widthMultiplier, 8);
        if (SmallStem)
        {
            p = p with { Strides = [1, .. p.Strides.Skip(1)] };
        }

        _net = new RegNetY(p, numClasses, rng, inputShape[0], stemWidth, SmallStem ? 1 : 2);
        StemMacs = _net.StemMacs(h, w);
        _shapes.Add(_net.StemOutputShape(h, w));
        for (int i = 0; i < 4; i++)
        {
            _stageMacs[i] = _net.StageMacs(i, h, w);
            _shapes.Add(_net.StageOutputShape(i, h, w));
        }

        StageInChannels = [.. _net.Stages.Select(s => s.CIn)];
        OutChannels = _net.OutChannels;
        Modules = [("cnn_stem", _net.Stem), ("cnn_body", _net.TrunkOutput), ("avgpool", _net.Avgpool), ("classifier_cnn", _net.Fc)];
    }

    /// <summary>True when the small-input stem is in use.</summary>
    public bool SmallStem { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Module Module)> Modules { get; }

    /// <inheritdoc/>
    public override int[] StageInChannels { get; }

    /// <inheritdoc/>
    public override int OutChannels { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<(int C, int H, int W)> Shapes => _shapes;

    /// <inheritdoc/>
    public override long StemMacs { get; }

    /// <inheritdoc/>
    public override long StageMacs(int i) => _stageMacs[i];

    /// <inheritdoc/>
    public override long CnnHeadMacs => _net.HeadMacs;

    /// <inheritdoc/>
    public override Tensor Stem(Tensor x) => _net.ForwardStem(x);

    /// <inheritdoc/>
    public override Tensor Stage(int i, Tensor x) => _net.ForwardStage(i, x);

    /// <inheritdoc/>
    public override Tensor CnnHead(Tensor pooled) => _net.Fc.Forward(pooled);
}
