// MobileNetV3's inverted residual block (Howard et al., ICCV 2019, Sec. 5; MobileNetV2's block with SE and
// Hardswish) as torchvision.models.mobilenetv3.InvertedResidual (torchvision 0.14): optional 1×1 expansion, K×K
// depthwise conv with the stride, optional SE (ReLU, Hardsigmoid; squeeze MakeDivisible(exp/4, 8)), 1×1 projection
// without activation; the input is added when the stride is 1 and the width is kept.
// The Dynamic Perceiver's copy (models/cnn_core/mobilenet_v3.py) holds the layers in an nn.ModuleList instead of an
// nn.Sequential (same keys block.0, block.1, …) and adds c_in / c_out attributes (CIn / COut here).
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Blocks;

namespace Offramp.Models.MobileNets;

/// <summary>
/// torchvision's MobileNetV3 <c>InvertedResidual</c>: child <c>block</c> = Sequential of the expansion (if the width
/// changes), the depthwise conv, the SE (if used) and the projection (keys <c>block.0.0.weight</c>,
/// <c>block.2.fc1.weight</c>, …).
/// </summary>
public sealed class InvertedResidual : Module
{
    private readonly ConvNormActivation? _expand;
    private readonly ConvNormActivation _depthwise;
    private readonly SqueezeExcitation? _se;
    private readonly ConvNormActivation _project;

    /// <summary>Creates the block; BatchNorms use <paramref name="bnEps"/> and <paramref name="bnMomentum"/>
    /// (MobileNetV3: 0.001, 0.01).</summary>
    /// <exception cref="ArgumentException">The stride is not 1 or 2, or a channel count is not positive.</exception>
    public InvertedResidual(InvertedResidualConfig cnf, Rng rng, double bnEps = 0.001, double bnMomentum = 0.01)
    {
        if (cnf.Stride is < 1 or > 2)
        {
            throw new ArgumentException($"InvertedResidual: illegal stride value {cnf.Stride}");
        }

        Config = cnf;
        UseResConnect = cnf.Stride == 1 && cnf.InputChannels == cnf.OutChannels;
        Module Act() => cnf.UseHs ? new Hardswish() : new ReLU();
        var layers = new Sequential();
        if (cnf.ExpandedChannels != cnf.InputChannels)
        {
            _expand = new ConvNormActivation(cnf.InputChannels, cnf.ExpandedChannels, 1, rng, activation: Act(),
                bnEps: bnEps, bnMomentum: bnMomentum);
            layers.Append(_expand);
        }

        _depthwise = new ConvNormActivation(cnf.ExpandedChannels, cnf.ExpandedChannels, cnf.Kernel, rng,
            stride: cnf.Dilation > 1 ? 1 : cnf.Stride, groups: cnf.ExpandedChannels, dilation: cnf.Dilation,
            activation: Act(), bnEps: bnEps, bnMomentum: bnMomentum);
        layers.Append(_depthwise);
        if (cnf.UseSe)
        {
            // torchvision: squeeze_channels = _make_divisible(expanded_channels // 4, 8); SElayer with Hardsigmoid
            _se = new SqueezeExcitation(cnf.ExpandedChannels, ChannelRounding.MakeDivisible(cnf.ExpandedChannels / 4, 8),
                new ReLU(), new Hardsigmoid(), rng);
            layers.Append(_se);
        }

        _project = new ConvNormActivation(cnf.ExpandedChannels, cnf.OutChannels, 1, rng, bnEps: bnEps,
            bnMomentum: bnMomentum);
        layers.Append(_project);
        Block = RegisterModule("block", layers);
    }

    /// <summary>The settings.</summary>
    public InvertedResidualConfig Config { get; }

    /// <summary>The layers (torchvision's <c>block</c>).</summary>
    public Sequential Block { get; }

    /// <summary>Input channels (the official copy's <c>c_in</c>).</summary>
    public int CIn => Config.InputChannels;

    /// <summary>Output channels (<c>c_out</c>).</summary>
    public int COut => Config.OutChannels;

    /// <summary>Whether the input is added to the output (stride 1 and same width).</summary>
    public bool UseResConnect { get; }

    /// <summary>Output spatial size for an h×w input.</summary>
    public (int H, int W) OutputSize(int h, int w) => _depthwise.OutputSize(h, w);

    /// <summary>MACs per sample for an h×w input: expansion, depthwise, SE (two 1×1 convs) and projection.</summary>
    public long Macs(int h, int w)
    {
        var (oh, ow) = OutputSize(h, w);
        return (_expand?.Macs(h, w) ?? 0) + _depthwise.Macs(h, w) + (_se?.Macs ?? 0) + _project.Macs(oh, ow);
    }

    /// <summary>x: (N, c_in, H, W) → (N, c_out, OH, OW).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, c_in, H, W).</exception>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != CIn)
        {
            throw new ArgumentException($"InvertedResidual(c_in={CIn}, c_out={COut}) expects (N, {CIn}, H, W), " +
                $"got input {Shape.Format(x.Shape)}");
        }

        var y = Block.Forward(x);
        return UseResConnect ? y.Add(x) : y;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"c_in={CIn}, exp={Config.ExpandedChannels}, c_out={COut}, k={Config.Kernel}, stride={Config.Stride}, " +
        $"se={Config.UseSe}, hs={Config.UseHs}";
}
