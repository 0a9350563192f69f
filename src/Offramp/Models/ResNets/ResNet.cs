// ResNet: He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016. Layout, parameter names
// and initialisation follow torchvision.models.resnet (conv1, bn1, layer1.0.conv1, …, fc), so a torchvision state
// dict's backbone keys load as they are; timm's ResNet supplies zero_init_last and the width multiplier
// (channel_multiplier: int(w·64) stem, int(w·planes) per stage, as the Dyn-Perceiver's timm copy).
// Costs: ExitInfo.Macs counts conv and Linear multiply-accumulates (torchvision's GFLOPS convention), cumulative in
// staged order (earlier heads included).
// Multi-exit: early exits read the output of chosen blocks (ModelOptions.ExitAfter, indices over the flattened block
// list; default after every stage but the last) through an exit head (ModelOptions.Head); the final exit is always
// the backbone's own avgpool + fc.
// Deviations:
// - CIFAR ResNet-20/32/56/110 (§4.2) use projection shortcuts (option B: 1×1 conv + BN, torchvision's downsample, as
//   SDN's ResNet-56) instead of the paper's zero-padding identity (option A); each width change adds C·2C + 2·2C
//   parameters (2,752 in all at width 1: ResNet-20 has 272,474 instead of 269,722 with 3 input channels and 10
//   classes). Their stem, stages and classifier reuse torchvision's names (conv1, bn1, layer1..3, fc).
// - Small inputs: an ImageNet-style ResNet on inputs under 64 pixels a side uses a 3×3 stride-1 stem without max
//   pool (Extra "stem" = "imagenet" | "small" | "auto" overrides), the usual CIFAR adaptation.
// - Offramp's own layouts (not in either paper): a stride-2 first stage (ResNetArch.FirstStride), and an SDN pooled
//   head as the final exit (option final_head=sdn, module `final_head` instead of `fc`); resnet_fm uses both.
// - No torchvision groups/width_per_group/dilation (ResNeXt, wide ResNets) and no timm stem/downsample variants.
using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Heads;

namespace Offramp.Models.ResNets;

/// <summary>
/// A multi-exit ResNet (torchvision layout): stem (<c>conv1</c>, <c>bn1</c>, ReLU, optional <c>maxpool</c>), stages
/// <c>layer1</c>…<c>layerS</c> of residual blocks, the final classifier <c>fc</c> on the global average pool, and
/// the early-exit heads <c>exits.0</c>, <c>exits.1</c>, ….
/// </summary>
/// <remarks>
/// <para>Options read: <see cref="ModelOptions.NumClasses"/>, <see cref="ModelOptions.InputShape"/> (C, H, W),
/// <see cref="ModelOptions.WidthMultiplier"/>, <see cref="ModelOptions.ExitAfter"/> (block indices over the flattened
/// block list; null = after every stage but the last; empty = the final exit only),
/// <see cref="ModelOptions.Head"/> ("linear" or "sdn"), <see cref="ModelOptions.Seed"/>; and in
/// <see cref="ModelOptions.Extra"/>: <c>stem</c> ("auto" | "imagenet" | "small"), <c>zero_init_last</c>
/// ("true" | "false", default false), <c>final_head</c> ("gap" = avgpool + <c>fc</c>, torchvision's; "sdn" = SDN's
/// pooled head as <c>final_head</c>) and the architecture overrides of <see cref="ResNetArch.WithOverrides"/>
/// (<c>depths</c>, <c>widths</c>, <c>stem_width</c>, <c>first_stride</c>, <c>strides</c>).</para>
/// <para>Initialisation as torchvision: convs kaiming_normal_(fan_out, relu), BatchNorm weight 1 and bias 0, Linear
/// PyTorch's default; all draws from one <see cref="Rng"/> seeded by <see cref="ModelOptions.Seed"/>.</para>
/// </remarks>
public sealed class ResNet : MultiExitModel
{
    private readonly List<ResNetBlock> _blocks = [];
    private readonly List<(int C, int H, int W)> _blockShapes = [];
    private readonly List<string> _blockNames = [];
    private readonly List<long> _blockMacs = [];
    private readonly int[] _segmentEnds;
    private readonly ModuleList<ExitHead> _heads;
    private readonly ExitInfo[] _exits;
    private readonly int[] _inputShape;

    /// <summary>Builds the model for <paramref name="arch"/> with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid: input shape not (C, H, W), non-positive classes or
    /// width, an exit index out of range or repeated (the last block is the final exit's), an unknown head or
    /// stem, or a CIFAR ResNet asked for the ImageNet stem.</exception>
    public ResNet(ResNetArch arch, ModelOptions options)
    {
        arch = arch.WithOverrides(options.Extra);
        if (options.InputShape is not { Length: 3 } || options.InputShape.Any(d => d <= 0) || options.NumClasses <= 0
            || !(options.WidthMultiplier > 0) || arch.Depths.Length != arch.Widths.Length
            || arch.Depths.Any(d => d <= 0))
        {
            throw new ArgumentException(
                $"ResNet: invalid options: input shape ({string.Join(", ", options.InputShape ?? [])}), " +
                $"classes {options.NumClasses}, width multiplier {options.WidthMultiplier}, " +
                $"depths [{string.Join(", ", arch.Depths)}]");
        }

        Arch = arch;
        _inputShape = (int[])options.InputShape.Clone();
        NumClasses = options.NumClasses;
        Stem = ChooseStem(arch, options);
        ZeroInitLast = ParseBool(options, "zero_init_last");
        var rng = new Rng(options.Seed);

        // Stem. timm: inplanes = int(channel_multiplier * 64)
        int c = Scale(arch.StemWidth, options.WidthMultiplier);
        int h = _inputShape[1], w = _inputShape[2];
        Conv1 = Stem == ResNetStem.ImageNet
            ? RegisterModule("conv1", new Conv2d(_inputShape[0], c, 7, rng, stride: 2, padding: 3, bias: false))
            : RegisterModule("conv1", new Conv2d(_inputShape[0], c, 3, rng, stride: 1, padding: 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(c));
        StemMacs = ResNetBlock.ConvMacs(Conv1, h, w);
        (h, w) = Conv1.OutputSize(h, w);
        if (Stem == ResNetStem.ImageNet)
        {
            MaxPool = RegisterModule("maxpool", new MaxPool2d(3, 2, 1));
            (h, w) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1);
        }

        // Stages: stride 1 then 2; the first block of a stage carries the stride and the projection.
        for (int s = 0; s < arch.Depths.Length; s++)
        {
            int planes = Scale(arch.Widths[s], options.WidthMultiplier);
            var stage = new Sequential();
            for (int i = 0; i < arch.Depths[s]; i++)
            {
                int stride = i > 0 ? 1 : arch.StageStride(s);
                var block = ResNetBlock.Create(arch.Block, c, planes, stride, rng);
                stage.Append(block);
                _blocks.Add(block);
                c = block.OutChannels;
                _blockMacs.Add(block.Macs(h, w));
                (h, w) = block.OutputSize(h, w);
                _blockShapes.Add((c, h, w));
                _blockNames.Add($"layer{s + 1}.{i}");
            }

            RegisterModule($"layer{s + 1}", stage);
        }

        string finalHead = options.Extra.TryGetValue("final_head", out var fh) ? fh.ToLowerInvariant() : arch.DefaultFinalHead;
        if (finalHead == "sdn")
        {
            // The last block's map through SDN's pooled head: spatial layout kept (a small grid, not one average).
            var (fcC, fcH, fcW) = _blockShapes[^1];
            var sdn = RegisterModule("final_head", new SdnExitHead(fcC, fcH, fcW, NumClasses, rng));
            FinalHead = sdn;
            Fc = sdn.Linear;
        }
        else if (finalHead == "gap")
        {
            Fc = RegisterModule("fc", new Linear(c, NumClasses, rng));
        }
        else
        {
            throw new ArgumentException($"ResNet: option 'final_head' must be gap or sdn, got '{fh}'");
        }

        ExitAfter = PlaceExits(options.ExitAfter ?? arch.DefaultExitAfter);
        HeadKind = (options.Head ?? arch.DefaultHead ?? "linear").ToLowerInvariant();
        _heads = RegisterModule("exits", new ModuleList<ExitHead>());
        foreach (int b in ExitAfter)
        {
            var (hc, hh, hw) = _blockShapes[b];
            _heads.Add(ExitHead.Create(HeadKind, hc, hh, hw, NumClasses, rng));
        }

        _segmentEnds = [.. ExitAfter.Select(b => b + 1), _blocks.Count];
        _exits = CountExits();
        InitWeights(rng);
    }

    /// <summary>The architecture.</summary>
    public ResNetArch Arch { get; }

    /// <summary>The stem in use.</summary>
    public ResNetStem Stem { get; }

    /// <summary>Whether the last BatchNorm of every block started at zero (timm's zero_init_last).</summary>
    public bool ZeroInitLast { get; }

    /// <summary>The exit head kind of the early exits ("linear" or "sdn").</summary>
    public string HeadKind { get; }

    /// <summary>Indices (over <see cref="Blocks"/>) of the blocks the early exits read, ascending.</summary>
    public int[] ExitAfter { get; }

    /// <summary>MACs per sample of the stem conv.</summary>
    public long StemMacs { get; }

    /// <summary>Stem conv.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Stem BatchNorm.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>The stem's max pool (ImageNet stem), or null.</summary>
    public MaxPool2d? MaxPool { get; }

    /// <summary>The final classifier's Linear: <c>fc</c> on the global average pool, or the Linear of
    /// <see cref="FinalHead"/>.</summary>
    public Linear Fc { get; }

    /// <summary>The final exit's pooled head (<c>final_head</c>) when the option <c>final_head=sdn</c> is set, else null
    /// (the final exit is torchvision's avgpool + <c>fc</c>).</summary>
    public ExitHead? FinalHead { get; }

    /// <summary>Every residual block in execution order (the flattened block list exits index).</summary>
    public IReadOnlyList<ResNetBlock> Blocks => _blocks;

    /// <summary>Dotted names of the blocks (<c>layer1.0</c>, …), parallel to <see cref="Blocks"/>.</summary>
    public IReadOnlyList<string> BlockNames => _blockNames;

    /// <summary>The early-exit heads, parallel to <see cref="ExitAfter"/>.</summary>
    public IReadOnlyList<ExitHead> Heads => _heads;

    /// <inheritdoc/>
    public override IReadOnlyList<ExitInfo> Exits => _exits;

    /// <inheritdoc/>
    public override int NumClasses { get; }

    /// <inheritdoc/>
    public override int[] InputShape => _inputShape;

    /// <summary>MACs per sample of block <paramref name="index"/> for this model's input shape.</summary>
    public long BlockMacs(int index) => _blockMacs[index];

    /// <summary>(C, H, W) of block <paramref name="index"/>'s output for this model's input shape.</summary>
    public (int C, int H, int W) BlockOutputShape(int index) => _blockShapes[index];

    /// <inheritdoc/>
    protected override ExitState StartCore(Tensor input)
    {
        var x = Conv1.ForwardNormAct(input, Bn1, relu: true);
        if (MaxPool is not null)
        {
            x = MaxPool.Forward(x);
        }

        return new TensorExitState(x);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The state is not this model's <see cref="TensorExitState"/>.</exception>
    protected override Tensor RunToExitCore(ExitState state, int k)
    {
        if (state is not TensorExitState ts)
        {
            throw new ArgumentException($"ResNet.RunToExit expects a TensorExitState, got {state.GetType().Name}");
        }

        var x = ts.Features;
        for (int b = k == 0 ? 0 : _segmentEnds[k - 1]; b < _segmentEnds[k]; b++)
        {
            x = _blocks[b].Forward(x);
        }

        ts.Features = x;
        return k < _heads.Count ? _heads[k].Forward(x)
            : FinalHead is not null ? FinalHead.Forward(x) : Fc.Forward(LinearExitHead.GlobalAvgPool(x));
    }

    /// <summary>
    /// The exits with cumulative MACs per sample in the order the staged forward runs: stem, the blocks up to the
    /// exit, and every head evaluated so far (earlier exits' heads included). Convention: conv and Linear MACs only
    /// (torchvision's GFLOPS: ResNet-18 at 224 counts 1,814,073,344).
    /// </summary>
    private ExitInfo[] CountExits()
    {
        var exits = new ExitInfo[_segmentEnds.Length];
        long macs = StemMacs;
        for (int k = 0; k < exits.Length; k++)
        {
            for (int b = k == 0 ? 0 : _segmentEnds[k - 1]; b < _segmentEnds[k]; b++)
            {
                macs += _blockMacs[b];
            }

            bool early = k < _heads.Count;
            macs += early ? _heads[k].Macs : (long)Fc.InFeatures * Fc.OutFeatures;
            exits[k] = new ExitInfo(k, early ? _blockNames[ExitAfter[k]] : FinalHead is null ? "fc" : "final_head", macs);
        }

        return exits;
    }

    private int[] PlaceExits(int[]? exitAfter)
    {
        int n = _blocks.Count;
        if (exitAfter is null)
        {
            // Default: after every stage but the last (whose output the final exit reads).
            var ends = new List<int>();
            int end = -1;
            for (int s = 0; s < Arch.Depths.Length - 1; s++)
            {
                end += Arch.Depths[s];
                ends.Add(end);
            }

            return [.. ends];
        }

        var sorted = exitAfter.Order().ToArray();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i] < 0 || sorted[i] >= n - 1 || (i > 0 && sorted[i] == sorted[i - 1]))
            {
                throw new ArgumentException(
                    $"ResNet: ExitAfter [{string.Join(", ", exitAfter)}] must hold distinct block " +
                    $"indices in 0..{n - 2} ({n} blocks; block {n - 1} feeds the final exit 'fc')");
            }
        }

        return sorted;
    }

    private void InitWeights(Rng rng)
    {
        // torchvision: kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu") for every Conv2d; BatchNorm
        // weight 1, bias 0 (already so at construction); Linear keeps PyTorch's default.
        foreach (var m in Modules())
        {
            if (m is Conv2d conv)
            {
                Init.KaimingNormal(conv.Weight, rng, mode: FanMode.FanOut, nonlinearity: "relu");
            }
        }

        if (ZeroInitLast)
        {
            foreach (var b in _blocks)
            {
                b.ZeroInitLast();
            }
        }
    }

    private static ResNetStem ChooseStem(ResNetArch arch, ModelOptions options)
    {
        string stem = options.Extra.TryGetValue("stem", out var v) ? v.ToLowerInvariant() : "auto";
        bool small = options.InputShape[1] < 64 || options.InputShape[2] < 64;
        return stem switch
        {
            "auto" => arch.ImageNetStyle && !small ? ResNetStem.ImageNet : ResNetStem.Small,
            "small" => ResNetStem.Small,
            "imagenet" when arch.ImageNetStyle => ResNetStem.ImageNet,
            _ => throw new ArgumentException(arch.ImageNetStyle || stem != "imagenet"
                ? $"ResNet: unknown stem '{v}' (auto, imagenet, small)"
                : "ResNet: CIFAR ResNets have only the small stem"),
        };
    }

    private static bool ParseBool(ModelOptions options, string key)
    {
        if (!options.Extra.TryGetValue(key, out var v))
        {
            return false;
        }

        return bool.TryParse(v, out bool b)
            ? b
            : throw new ArgumentException($"ResNet: option '{key}' must be true or false, got '{v}'");
    }

    /// <summary>timm's channel_multiplier: int(multiplier · channels), at least 1.</summary>
    internal static int Scale(int channels, double multiplier) =>
        Math.Max(1, (int)(multiplier * channels));

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture,
            $"stem={Stem}, exits=[{string.Join(", ", _exits.Select(e => e.Name))}], head={HeadKind}");
}
