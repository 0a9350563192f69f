// RegNetY: Radosavovic, Kosaraju, Girshick, He, Dollár, "Designing Network Design Spaces", CVPR 2020, as
// torchvision.models.regnet.RegNet (torchvision 0.14) with torchvision's parameter names (stem.0/stem.1,
// trunk_output.block1.block1-0.proj/f.a/f.b/f.se/f.c, fc), so a torchvision state dict loads strictly.
// The Dynamic Perceiver (Han et al., ICCV 2023; LeapLabTHU/Dynamic_Perceiver, models/cnn_core/regnet.py) uses a copy
// of torchvision's file that differs only in ways that keep the keys: AnyStage is an nn.ModuleList with c_in/c_out
// attributes (here AnyStage.CIn/COut), blocks carry forward_calc_flops, and the stem stores width_out. Its FLOP
// counter omits the SE convs; Offramp counts them, as torchvision's published GFLOPS do (0.40 for 400MF).
// Deviations (Offramp options, off by default):
// - stemStride: 1 for small inputs (the ImageNet stem is stride 2); the variants' small-input mode also sets stage 1's
//   stride to 1 (RegNetBlockParams.Strides), removing the first 4× of downsampling as ResNet's small stem does.
// - inChannels: the stem accepts any number of input channels (torchvision fixes 3).
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Blocks;

namespace Offramp.Models.RegNets;

/// <summary>
/// A RegNet backbone with its classifier (torchvision's <c>RegNet</c>; RegNetY when the block parameters carry an
/// SE ratio): <c>stem</c> (3×3 conv stride 2, BN, ReLU), <c>trunk_output</c> (stages <c>block1</c>…), <c>avgpool</c>
/// and <c>fc</c>. The stem, each stage and the head can run separately (<see cref="ForwardStem"/>,
/// <see cref="ForwardStage"/>, <see cref="ForwardHead"/>) and report their MACs.
/// </summary>
/// <remarks>Initialisation as torchvision: convs N(0, √(2/fan_out)) with fan_out = K·K·O, BatchNorm weight 1 and bias
/// 0, Linear weight N(0, 0.01) and bias 0; the SE convs' biases keep PyTorch's default. All draws from
/// <c>rng</c>.</remarks>
public sealed class RegNetY : Module
{
    private readonly AnyStage[] _stages;

    /// <summary>Builds the network.</summary>
    /// <param name="blockParams">The stages (e.g. <see cref="RegNetYVariants"/>).</param>
    /// <param name="numClasses">Width of <c>fc</c>.</param>
    /// <param name="rng">Source of the initial weights.</param>
    /// <param name="inChannels">Image channels (3 in torchvision).</param>
    /// <param name="stemWidth">Stem output channels (32 in torchvision).</param>
    /// <param name="stemStride">Stem stride (2 in torchvision; 1 for small inputs).</param>
    /// <exception cref="ArgumentException">Inconsistent or non-positive settings.</exception>
    public RegNetY(RegNetBlockParams blockParams, int numClasses, Rng rng, int inChannels = 3, int stemWidth = 32,
        int stemStride = 2)
    {
        int s = blockParams.StageCount;
        if (numClasses <= 0 || inChannels <= 0 || stemWidth <= 0 || stemStride <= 0 || s == 0
            || blockParams.Widths.Length != s || blockParams.GroupWidths.Length != s
            || blockParams.BottleneckMultipliers.Length != s || blockParams.Strides.Length != s)
        {
            throw new ArgumentException($"RegNetY: invalid settings (classes {numClasses}, in_channels {inChannels}, " +
                $"stem {stemWidth}/stride {stemStride}, {s} stages with widths [{string.Join(", ", blockParams.Widths)}])");
        }

        BlockParams = blockParams;
        // torchvision: SimpleStemIN = Conv2dNormActivation(3, stem_width, kernel_size=3, stride=2) with ReLU
        Stem = RegisterModule("stem", new ConvNormActivation(inChannels, stemWidth, 3, rng, stride: stemStride,
            activation: new ReLU()));
        _stages = new AnyStage[s];
        int width = stemWidth;
        var named = new List<(string, Module)>();
        for (int i = 0; i < s; i++)
        {
            _stages[i] = new AnyStage(width, blockParams.Widths[i], blockParams.Strides[i], blockParams.Depths[i],
                blockParams.GroupWidths[i], blockParams.BottleneckMultipliers[i], blockParams.SeRatio, i + 1, rng);
            named.Add(($"block{i + 1}", _stages[i]));
            width = blockParams.Widths[i];
        }

        TrunkOutput = RegisterModule("trunk_output", new Sequential(named));
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(width, numClasses, rng));
        InitWeights(rng);
    }

    /// <summary>The stage settings.</summary>
    public RegNetBlockParams BlockParams { get; }

    /// <summary>The stem (<c>stem.0</c> conv, <c>stem.1</c> BN, ReLU).</summary>
    public ConvNormActivation Stem { get; }

    /// <summary>The stages as torchvision's <c>trunk_output</c>: children <c>block1</c>, <c>block2</c>, ….</summary>
    public Sequential TrunkOutput { get; }

    /// <summary>The stages, typed (stage i is <c>trunk_output.block{i+1}</c>).</summary>
    public IReadOnlyList<AnyStage> Stages => _stages;

    /// <summary>Global average pool before <see cref="Fc"/>.</summary>
    public AdaptiveAvgPool2d Avgpool { get; }

    /// <summary>The classifier, (K, C_out).</summary>
    public Linear Fc { get; }

    /// <summary>Stem output channels (the Dynamic Perceiver's C_1).</summary>
    public int StemWidth => Stem.OutChannels;

    /// <summary>Channels of the last stage (the features <see cref="Fc"/> reads).</summary>
    public int OutChannels => _stages[^1].COut;

    /// <summary>x: (N, C, H, W) → the stem's output (N, stem width, H/2, W/2 with stride 2).</summary>
    /// <exception cref="ArgumentException">Wrong channel count.</exception>
    public Tensor ForwardStem(Tensor x) => Stem.Forward(x);

    /// <summary>Runs stage <paramref name="stage"/> (0-based) on its input.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such stage.</exception>
    /// <exception cref="ArgumentException">Wrong channel count.</exception>
    public Tensor ForwardStage(int stage, Tensor x)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stage);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stage, _stages.Length);
        return _stages[stage].Forward(x);
    }

    /// <summary>The head: global average pool, flatten, <c>fc</c>. (N, C_out, H, W) → (N, K).</summary>
    /// <exception cref="ArgumentException">Wrong shape.</exception>
    public Tensor ForwardHead(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != OutChannels)
        {
            throw new ArgumentException($"RegNetY head expects (N, {OutChannels}, H, W), got {Shape.Format(x.Shape)}");
        }

        var p = Avgpool.Forward(x);
        return Fc.Forward(p.Reshape(p.Shape[0], p.Shape[1]));
    }

    /// <summary>Images (N, C, H, W) → logits (N, K).</summary>
    public override Tensor Forward(Tensor x)
    {
        x = ForwardStem(x);
        foreach (var st in _stages)
        {
            x = st.Forward(x);
        }

        return ForwardHead(x);
    }

    /// <summary>MACs per sample of the stem for an <paramref name="h"/>×<paramref name="w"/> image.</summary>
    public long StemMacs(int h, int w) => Stem.Macs(h, w);

    /// <summary>(C, H, W) of the stem's output for an h×w image.</summary>
    public (int C, int H, int W) StemOutputShape(int h, int w)
    {
        var (oh, ow) = Stem.OutputSize(h, w);
        return (Stem.OutChannels, oh, ow);
    }

    /// <summary>(C, H, W) of stage <paramref name="stage"/>'s output (0-based) for an h×w image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such stage.</exception>
    public (int C, int H, int W) StageOutputShape(int stage, int h, int w)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stage, _stages.Length);
        var (_, sh, sw) = StemOutputShape(h, w);
        for (int i = 0; i <= stage; i++)
        {
            (sh, sw) = _stages[i].OutputSize(sh, sw);
        }

        return (_stages[stage].COut, sh, sw);
    }

    /// <summary>MACs per sample of stage <paramref name="stage"/> (0-based) for an h×w image (convs, projections
    /// and SE convs).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such stage.</exception>
    public long StageMacs(int stage, int h, int w)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stage);
        var (_, ih, iw) = stage == 0 ? StemOutputShape(h, w) : StageOutputShape(stage - 1, h, w);
        return _stages[stage].Macs(ih, iw);
    }

    /// <summary>MACs per sample of the head (the Linear: C_out·K).</summary>
    public long HeadMacs => (long)Fc.InFeatures * Fc.OutFeatures;

    /// <summary>MACs per sample of the whole network for an h×w image (torchvision's GFLOPS convention: conv and
    /// Linear multiply–accumulates; regnet_y_400mf at 224×224 counts 401,842,848).</summary>
    public long TotalMacs(int h, int w) =>
        StemMacs(h, w) + Enumerable.Range(0, _stages.Length).Sum(i => StageMacs(i, h, w)) + HeadMacs;

    private void InitWeights(Rng rng)
    {
        foreach (var m in Modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    // torchvision: fan_out = kernel_size[0] * kernel_size[1] * out_channels; normal_(0, sqrt(2/fan_out))
                    Init.Normal(conv.Weight, rng, 0.0,
                        Math.Sqrt(2.0 / (conv.KernelSize.H * conv.KernelSize.W * conv.OutChannels)));
                    break;
                case Linear fc:
                    // torchvision: normal_(m.weight, mean=0.0, std=0.01); zeros_(m.bias)
                    Init.Normal(fc.Weight, rng, 0.0, 0.01);
                    fc.Bias?.Fill(0.0);
                    break;
            }
        }
    }
}
