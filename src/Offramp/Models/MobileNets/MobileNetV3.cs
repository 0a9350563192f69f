// MobileNetV3-Large: Howard et al., "Searching for MobileNetV3", ICCV 2019, as torchvision.models.mobilenetv3
// (torchvision 0.14) with torchvision's parameter names (features.N…, classifier.0 / classifier.3), so a torchvision
// state dict loads strictly. BatchNorm eps 0.001, momentum 0.01 as torchvision.
// The Dynamic Perceiver (Han et al., ICCV 2023; LeapLabTHU/Dynamic_Perceiver, models/cnn_core/mobilenet_v3.py) uses a
// copy of torchvision's file whose differences keep the keys: features is an nn.ModuleList (torchvision: Sequential),
// InvertedResidual holds its layers in a ModuleList and has c_in/c_out, the model stores lastconv_output_channels
// and last_channel, and there are *_flops_per_pixel attributes. Its FLOP count adds the SE's global pooling (C·H·W);
// Offramp counts conv and Linear MACs only, as torchvision's published GFLOPS (0.22 for width 1.0).
// The Dynamic Perceiver splits features into stem [0:3] and stages [3:5], [5:8], [8:14], [14:17]
// (DynamicPerceiverSplit).
// Deviations (Offramp options, off by default):
// - stemStride / smallInput: stride 1 in features[0] and in features[2] (the stride-2 block of the Dynamic
//   Perceiver's stem), removing the stem's 4× downsampling for 28×28 / 32×32 inputs, as ResNet's small stem does.
// - inChannels: the first conv accepts any number of input channels (torchvision fixes 3).
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Blocks;

namespace Offramp.Models.MobileNets;

/// <summary>
/// MobileNetV3 (torchvision's <c>MobileNetV3</c>): <c>features</c> = [first conv (3×3 stride 2, BN, Hardswish),
/// 15 <see cref="InvertedResidual"/>s, last conv (1×1 to 6× width, BN, Hardswish)], <c>avgpool</c>, and
/// <c>classifier</c> = [Linear, Hardswish, Dropout(0.2), Linear].
/// </summary>
/// <remarks>Initialisation as torchvision: convs kaiming_normal_(fan_out) with zero bias, BatchNorm weight 1 and
/// bias 0, Linear weight N(0, 0.01) and bias 0; all draws from <c>rng</c>.</remarks>
public sealed class MobileNetV3 : Module
{
    /// <summary>
    /// The Dynamic Perceiver's split of <see cref="Features"/> (dyn_perceiver_mobilenet_v3.py): the stem is
    /// features[0:3], stages 1–4 are features[3:5], [5:8], [8:14] and [14:17] (end exclusive). At 224×224 the stem
    /// gives 56×56 and the stages 28, 14, 7, 7; stage i's input channels are features[start].c_in.
    /// </summary>
    public static IReadOnlyList<(int Start, int End)> DynamicPerceiverSplit { get; } =
        [(0, 3), (3, 5), (5, 8), (8, 14), (14, 17)];

    private readonly Module[] _features;

    /// <summary>Builds the network from block settings.</summary>
    /// <param name="settings">The inverted residual blocks (e.g. <see cref="InvertedResidualConfig.Large"/>).</param>
    /// <param name="lastChannel">Hidden width of the classifier.</param>
    /// <param name="numClasses">Classes K.</param>
    /// <param name="rng">Source of the initial weights and of the dropout masks.</param>
    /// <param name="inChannels">Image channels (3 in torchvision).</param>
    /// <param name="dropout">Classifier dropout (0.2).</param>
    /// <param name="stemStride">Stride of features[0] (2 in torchvision).</param>
    /// <exception cref="ArgumentException">Empty settings or a non-positive size.</exception>
    public MobileNetV3(IReadOnlyList<InvertedResidualConfig> settings, int lastChannel, int numClasses, Rng rng,
        int inChannels = 3, double dropout = 0.2, int stemStride = 2)
    {
        if (settings.Count == 0 || lastChannel <= 0 || numClasses <= 0 || inChannels <= 0 || stemStride <= 0)
        {
            throw new ArgumentException($"MobileNetV3: invalid settings ({settings.Count} blocks, last_channel " +
                $"{lastChannel}, classes {numClasses}, in_channels {inChannels}, stem stride {stemStride})");
        }

        const double eps = 0.001, momentum = 0.01;
        var features = new Sequential();
        features.Append(new ConvNormActivation(inChannels, settings[0].InputChannels, 3, rng, stride: stemStride,
            activation: new Hardswish(), bnEps: eps, bnMomentum: momentum));
        foreach (var cnf in settings)
        {
            features.Append(new InvertedResidual(cnf, rng, eps, momentum));
        }

        int lastIn = settings[^1].OutChannels;
        LastConvOutputChannels = 6 * lastIn;
        features.Append(new ConvNormActivation(lastIn, LastConvOutputChannels, 1, rng, activation: new Hardswish(),
            bnEps: eps, bnMomentum: momentum));
        Features = RegisterModule("features", features);
        _features = [.. features];
        LastChannel = lastChannel;
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Classifier = RegisterModule("classifier", new Sequential(
            new Linear(LastConvOutputChannels, lastChannel, rng),
            new Hardswish(),
            new Dropout(dropout, rng.Fork()),
            new Linear(lastChannel, numClasses, rng)));
        InitWeights(rng);
    }

    /// <summary>
    /// torchvision's <c>mobilenet_v3_large(width_mult=…)</c>; with <paramref name="smallInput"/>, features[0] and
    /// features[2] have stride 1 (see the file header).
    /// </summary>
    /// <exception cref="ArgumentException">A non-positive width or count.</exception>
    public static MobileNetV3 Large(double widthMult, int numClasses, Rng rng, int inChannels = 3,
        bool smallInput = false)
    {
        var (settings, lastChannel) = InvertedResidualConfig.Large(widthMult);
        if (smallInput)
        {
            settings = [settings[0], settings[1] with { Stride = 1 }, .. settings.Skip(2)];
        }

        return new MobileNetV3(settings, lastChannel, numClasses, rng, inChannels, stemStride: smallInput ? 1 : 2);
    }

    /// <summary>The feature blocks (torchvision's <c>features</c>): [0] first conv, [1..n] inverted residuals,
    /// [n+1] last conv.</summary>
    public Sequential Features { get; }

    /// <summary>Global average pool.</summary>
    public AdaptiveAvgPool2d Avgpool { get; }

    /// <summary>[Linear(C_last, last_channel), Hardswish, Dropout, Linear(last_channel, K)].</summary>
    public Sequential Classifier { get; }

    /// <summary>Output channels of the last conv (6 × the last block's; the Dynamic Perceiver's C_out).</summary>
    public int LastConvOutputChannels { get; }

    /// <summary>Hidden width of the classifier (<c>last_channel</c>).</summary>
    public int LastChannel { get; }

    /// <summary>Input channels of feature block <paramref name="index"/> (the official copy's <c>c_in</c>).</summary>
    public int FeatureInChannels(int index) => _features[index] switch
    {
        InvertedResidual b => b.CIn,
        ConvNormActivation c => c.InChannels,
        _ => throw new InvalidOperationException($"features.{index} is not a block"),
    };

    /// <summary>Output channels of feature block <paramref name="index"/>.</summary>
    public int FeatureOutChannels(int index) => _features[index] switch
    {
        InvertedResidual b => b.COut,
        ConvNormActivation c => c.OutChannels,
        _ => throw new InvalidOperationException($"features.{index} is not a block"),
    };

    /// <summary>Runs feature blocks <paramref name="start"/> ≤ i &lt; <paramref name="end"/> on x.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within the features.</exception>
    /// <exception cref="ArgumentException">x does not have features[start]'s input channels.</exception>
    public Tensor ForwardFeatures(Tensor x, int start, int end)
    {
        if (start < 0 || end > _features.Length || start > end)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"MobileNetV3.ForwardFeatures: range [{start}, {end}) is not within the {_features.Length} features");
        }

        for (int i = start; i < end; i++)
        {
            x = _features[i].Forward(x);
        }

        return x;
    }

    /// <summary>avgpool → flatten → classifier: (N, C_last, H, W) → (N, K).</summary>
    /// <exception cref="ArgumentException">Wrong shape.</exception>
    public Tensor ForwardHead(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != LastConvOutputChannels)
        {
            throw new ArgumentException(
                $"MobileNetV3 head expects (N, {LastConvOutputChannels}, H, W), got {Shape.Format(x.Shape)}");
        }

        var p = Avgpool.Forward(x);
        return Classifier.Forward(p.Reshape(p.Shape[0], p.Shape[1]));
    }

    /// <summary>Images (N, C, H, W) → logits (N, K).</summary>
    public override Tensor Forward(Tensor x) => ForwardHead(ForwardFeatures(x, 0, _features.Length));

    /// <summary>(C, H, W) of every feature block's output for an <paramref name="h"/>×<paramref name="w"/>
    /// image.</summary>
    public (int C, int H, int W)[] FeatureOutputShapes(int h, int w)
    {
        var shapes = new (int C, int H, int W)[_features.Length];
        for (int i = 0; i < _features.Length; i++)
        {
            (h, w) = OutputSizeOf(i, h, w);
            shapes[i] = (FeatureOutChannels(i), h, w);
        }

        return shapes;
    }

    /// <summary>MACs per sample of every feature block for an h×w image (convs incl. the SE's 1×1 convs).</summary>
    public long[] FeatureMacs(int h, int w)
    {
        var macs = new long[_features.Length];
        for (int i = 0; i < _features.Length; i++)
        {
            macs[i] = _features[i] switch
            {
                InvertedResidual b => b.Macs(h, w),
                ConvNormActivation c => c.Macs(h, w),
                _ => 0,
            };
            (h, w) = OutputSizeOf(i, h, w);
        }

        return macs;
    }

    /// <summary>MACs per sample of the classifier's two Linears.</summary>
    public long HeadMacs => Classifier.OfType<Linear>().Sum(l => (long)l.InFeatures * l.OutFeatures);

    /// <summary>MACs per sample of the whole network for an h×w image (torchvision's GFLOPS convention;
    /// mobilenet_v3_large at 224×224 counts 216,589,760).</summary>
    public long TotalMacs(int h, int w) => FeatureMacs(h, w).Sum() + HeadMacs;

    private (int H, int W) OutputSizeOf(int index, int h, int w) => _features[index] switch
    {
        InvertedResidual b => b.OutputSize(h, w),
        ConvNormActivation c => c.OutputSize(h, w),
        _ => (h, w),
    };

    private void InitWeights(Rng rng)
    {
        foreach (var m in Modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    // torchvision: kaiming_normal_(m.weight, mode="fan_out"); zeros_(m.bias)
                    Init.KaimingNormal(conv.Weight, rng, mode: FanMode.FanOut);
                    conv.Bias?.Fill(0.0);
                    break;
                case Linear fc:
                    // torchvision: normal_(m.weight, 0, 0.01); zeros_(m.bias)
                    Init.Normal(fc.Weight, rng, 0.0, 0.01);
                    fc.Bias?.Fill(0.0);
                    break;
            }
        }
    }
}
