// The MobileNetV3-Large feature branch of the Dynamic Perceiver (official models/dyn_perceiver_mobilenet_v3.py over
// torchvision's mobilenet_v3_large with width_mult): cnn_stem = features[0:3], cnn_body_stage1..4 = features[3:5],
// [5:8], [8:14], [14:17] (each a ModuleList: keys cnn_stem.0.…, cnn_body_stage4.2.… for the last 1×1 conv),
// avgpool, and a new classifier_cnn = Linear(C_out, 1280·) → Hardswish → Dropout(0.2) → Linear(·, K); the merge head
// is BatchNorm1d → Linear(→ last_channel) → Hardswish → Dropout(0.2) → Linear(→ K). C_i = features[start].c_in,
// C_out = lastconv_output_channels.
// Deviations:
// - Small inputs (under 64 pixels a side): features[0] and features[2] with stride 1, as Offramp's
//   MultiExitMobileNetV3 (stem 28, stages 14, 7, 4, 4 for 28×28).
// - CNN MACs in torchvision's convention (SE convs counted, SE pooling not).
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.MobileNets;

namespace Offramp.Models.Perceiver;

/// <summary>A torchvision MobileNetV3-Large as the Dynamic Perceiver's F-branch.</summary>
public sealed class MobileNetPerceiverBackbone : PerceiverBackbone
{
    private readonly Sequential[] _parts = new Sequential[5];
    private readonly Sequential _classifier;
    private readonly List<(int C, int H, int W)> _shapes = [];
    private readonly long[] _partMacs = new long[5];
    private readonly int _lastChannel;
    private readonly Rng _dropRng;

    /// <summary>Builds the backbone for per-sample input (C, H, W).</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public MobileNetPerceiverBackbone(double widthMultiplier, int[] inputShape, int numClasses, Rng rng)
    {
        if (!(widthMultiplier > 0))
        {
            throw new ArgumentException($"MobileNetPerceiverBackbone: width must be positive, got {widthMultiplier}");
        }

        int h = inputShape[1], w = inputShape[2];
        SmallStem = h < 64 || w < 64;
        var net = MobileNetV3.Large(widthMultiplier, numClasses, rng, inputShape[0], SmallStem);
        var shapes = net.FeatureOutputShapes(h, w);
        var macs = net.FeatureMacs(h, w);
        var modules = new List<(string, Module)>();
        var split = MobileNetV3.DynamicPerceiverSplit;
        for (int p = 0; p < 5; p++)
        {
            var (start, end) = split[p];
            var seq = new Sequential();
            for (int i = start; i < end; i++)
            {
                seq.Append(net.Features[i]);
                _partMacs[p] += macs[i];
            }

            _parts[p] = seq;
            _shapes.Add(shapes[end - 1]);
            modules.Add((p == 0 ? "cnn_stem" : $"cnn_body_stage{p}", seq));
        }

        StageInChannels = [.. split.Skip(1).Select(s => net.FeatureInChannels(s.Start))];
        OutChannels = net.LastConvOutputChannels;
        _lastChannel = net.LastChannel;
        _dropRng = rng.Fork();
        _classifier = new Sequential(new Linear(OutChannels, _lastChannel, rng), new Hardswish(),
            new Dropout(0.2, _dropRng), new Linear(_lastChannel, numClasses, rng));
        modules.Add(("avgpool", net.Avgpool));
        modules.Add(("classifier_cnn", _classifier));
        Modules = modules;
    }

    /// <summary>True when the small-input strides are in use.</summary>
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
    public override long StemMacs => _partMacs[0];

    /// <inheritdoc/>
    public override long StageMacs(int i) => _partMacs[i + 1];

    /// <inheritdoc/>
    public override long CnnHeadMacs => (long)OutChannels * _lastChannel + (long)_lastChannel * ((Linear)_classifier[3]).OutFeatures;

    /// <inheritdoc/>
    public override Tensor Stem(Tensor x) => _parts[0].Forward(x);

    /// <inheritdoc/>
    public override Tensor Stage(int i, Tensor x) => _parts[i + 1].Forward(x);

    /// <inheritdoc/>
    public override Tensor CnnHead(Tensor pooled) => _classifier.Forward(pooled);

    /// <inheritdoc/>
    public override Module CreateMergeHead(int inFeatures, int numClasses, Rng rng) =>
        new Sequential(new BatchNorm1d(inFeatures), new Linear(inFeatures, _lastChannel, rng), new Hardswish(),
            new Dropout(0.2, _dropRng), new Linear(_lastChannel, numClasses, rng));

    /// <inheritdoc/>
    public override long MergeHeadMacs(int inFeatures, int numClasses) =>
        (long)inFeatures * _lastChannel + (long)_lastChannel * numClasses;
}
