// The ResNet feature branch of the Dynamic Perceiver (official models/dyn_perceiver_resnet.py over its timm-style
// cnn_core/resnet.py with channel_multiplier): cnn_stem = Sequential(conv1, bn1, act1, maxpool), cnn_body_stage1..4 =
// layer1..4 (torchvision/timm block names: conv1, bn1, …, downsample.0/1), classifier_cnn = fc after global average
// pooling and dropout (drop_rate 0.2).
// Deviations:
// - Small inputs (under 64 pixels a side) use the 3×3 stride-1 stem without max pool, as Offramp's ResNet does
//   (cnn_stem = Sequential(conv1, bn1, act1)); 224×224 uses the official 7×7/2 stem and max pool.
// - No drop-path (stochastic depth) in the blocks: the official training uses drop_path_rate 0.2; the weights and
//   the eval forward are unaffected.
// - Init: timm's (convs kaiming_normal fan_out, BN 1/0, the last BN of each block zeroed: zero_init_last).
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.ResNets;

namespace Offramp.Models.Perceiver;

/// <summary>A ResNet (basic or bottleneck blocks, 4 stages, width multiplier) as the Dynamic Perceiver's F-branch.</summary>
public sealed class ResNetPerceiverBackbone : PerceiverBackbone
{
    private readonly Sequential _stem;
    private readonly Sequential[] _stages = new Sequential[4];
    private readonly Linear _fc;
    private readonly Dropout _drop;
    private readonly List<(string, Module)> _modules = [];
    private readonly List<(int C, int H, int W)> _shapes = [];
    private readonly long[] _stageMacs = new long[4];

    /// <summary>Builds the backbone for per-sample input (C, H, W).</summary>
    /// <exception cref="ArgumentException">The architecture does not have 4 stages, or a width is not positive.</exception>
    public ResNetPerceiverBackbone(ResNetArch arch, double widthMultiplier, int[] inputShape, int numClasses,
        double dropRate, Rng rng)
    {
        if (arch.Depths.Length != 4 || !(widthMultiplier > 0))
        {
            throw new ArgumentException(
                $"ResNetPerceiverBackbone: needs a 4-stage ResNet and a positive width; got {arch.Depths.Length} stages, width {widthMultiplier}");
        }

        int c = ResNet.Scale(arch.StemWidth, widthMultiplier);
        int h = inputShape[1], w = inputShape[2];
        SmallStem = h < 64 || w < 64;
        var conv1 = SmallStem
            ? new Conv2d(inputShape[0], c, 3, rng, stride: 1, padding: 1, bias: false)
            : new Conv2d(inputShape[0], c, 7, rng, stride: 2, padding: 3, bias: false);
        StemMacs = ConvMacs(conv1, h, w);
        (h, w) = conv1.OutputSize(h, w);
        _stem = new Sequential(conv1, new BatchNorm2d(c), new ReLU());
        if (!SmallStem)
        {
            _stem.Append(new MaxPool2d(3, 2, 1));
            (h, w) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1);
        }

        _shapes.Add((c, h, w));
        _modules.Add(("cnn_stem", _stem));
        var stageIn = new int[4];
        var blocks = new List<ResNetBlock>();
        for (int s = 0; s < 4; s++)
        {
            stageIn[s] = c;
            int planes = ResNet.Scale(arch.Widths[s], widthMultiplier);
            var stage = new Sequential();
            for (int i = 0; i < arch.Depths[s]; i++)
            {
                int stride = i == 0 ? arch.StageStride(s) : 1;
                var block = ResNetBlock.Create(arch.Block, c, planes, stride, rng);
                stage.Append(block);
                blocks.Add(block);
                _stageMacs[s] += block.Macs(h, w);
                (h, w) = block.OutputSize(h, w);
                c = block.OutChannels;
            }

            _stages[s] = stage;
            _shapes.Add((c, h, w));
            _modules.Add(($"cnn_body_stage{s + 1}", stage));
        }

        StageInChannels = stageIn;
        OutChannels = c;
        _fc = new Linear(c, numClasses, rng);
        _modules.Add(("classifier_cnn", _fc));
        _drop = new Dropout(dropRate, rng);
        _modules.Add(("cnn_head_drop", _drop));

        // timm ResNet init: kaiming_normal_(fan_out, relu) on its convs, BN weight 1 / bias 0, zero_init_last.
        foreach (var (_, m) in _modules)
        {
            foreach (var conv in m.Modules().OfType<Conv2d>())
            {
                Init.KaimingNormal(conv.Weight, rng, mode: FanMode.FanOut, nonlinearity: "relu");
            }
        }

        foreach (var b in blocks)
        {
            b.ZeroInitLast();
        }
    }

    /// <summary>True when the small-input stem (3×3 stride 1, no max pool) is in use.</summary>
    public bool SmallStem { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Module Module)> Modules => _modules;

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
    public override long CnnHeadMacs => (long)_fc.InFeatures * _fc.OutFeatures;

    /// <inheritdoc/>
    public override Tensor Stem(Tensor x)
    {
        // conv1, bn1, act1 fused into one pass in eval mode (bit-identical), then the max pool if there is one.
        var y = ((Conv2d)_stem[0]).ForwardNormAct(x, (BatchNorm2d)_stem[1], relu: true);
        return _stem.Count > 3 ? _stem[3].Forward(y) : y;
    }

    /// <inheritdoc/>
    public override Tensor Stage(int i, Tensor x) => _stages[i].Forward(x);

    /// <inheritdoc/>
    public override Tensor PreHead(Tensor pooled) => _drop.Forward(pooled);

    /// <inheritdoc/>
    public override Tensor CnnHead(Tensor pooled) => _fc.Forward(pooled);
}
