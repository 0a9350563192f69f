// Dynamic Perceiver: Han, Pu, Lai, Wang, Song, Huang, "Dynamic Perceiver for Efficient Visual Recognition", ICCV
// 2023 (arXiv 2306.11248); official code LeapLabTHU/Dynamic_Perceiver, models/dyn_perceiver_{resnet,regnet,
// mobilenet_v3}.py. A feature branch (any CNN: stem + 4 stages) and a classification branch (a latent code processed
// by self-attention), linked by X2Z/Z2X cross-attention and token mixers; four exits in the official order
// early3 (latent after stage 3), att (latent after stage 4 + FKT), cnn (the CNN's own head), merge (both branches).
// The module tree and parameter names mirror the official state dict, so converted checkpoints load strictly.
// Staged execution follows the paper's sequential order (§3.3, Fig. 7); costs follow forward_calc_flops
// (DynPerceiverCost). Deviations are listed in docs/models/dynamic-perceiver.md; the main ones:
// - real early exit: RunToExit runs only what exit k needs (exit 1 runs the CNN up to stage 2);
// - spatial_reduction=false pools nothing and sizes the key bias to the real map (the official ResNet file fails);
// - no drop-path in the backbone blocks (training-only regulariser).
using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Perceiver;

/// <summary>
/// The Dynamic Perceiver over a <see cref="PerceiverBackbone"/>, with exits <c>early3</c>, <c>att</c>, <c>cnn</c>,
/// <c>merge</c>. Parameters: <c>latent</c>, the backbone's (<c>cnn_stem</c>, <c>cnn_body_stage1..4</c>,
/// <c>classifier_cnn</c>), <c>dwc{i}_x2z</c>, <c>cross_att{i}_x2z</c>, <c>cross_att{i}_z2x</c>, <c>self_att{i}</c>,
/// <c>last_cross_att_z2x</c>, <c>early_classifier3</c>, <c>isc3</c>, <c>classifier_att</c>, <c>isc4</c>,
/// <c>classifier_merge</c>, <c>token_expander.{i}</c>, <c>token_mixer.{i}</c>.
/// </summary>
public sealed partial class DynamicPerceiver : MultiExitModel
{
    private readonly int[] _inputShape;
    private readonly ExitInfo[] _exits;
    private readonly X2Z?[] _x2z = new X2Z?[4];
    private readonly Z2X?[] _z2x = new Z2X?[4];
    private readonly SelfAttentionBlock[] _selfAtt = new SelfAttentionBlock[4];
    private readonly TokenMixer[] _mixers = new TokenMixer[3];

    /// <summary>Builds the model over <paramref name="backbone"/> (already built for <paramref name="inputShape"/>).</summary>
    /// <exception cref="ArgumentException">The config is invalid, or a width does not divide by the heads or by 8
    /// (Z2X's C/8).</exception>
    public DynamicPerceiver(PerceiverBackbone backbone, DynPerceiverConfig config, int[] inputShape, int numClasses, Rng rng)
    {
        config.Validate();
        if (numClasses <= 0)
        {
            throw new ArgumentException($"DynamicPerceiver: num_classes must be positive, got {numClasses}");
        }

        Backbone = backbone;
        Config = config;
        NumClasses = numClasses;
        _inputShape = (int[])inputShape.Clone();
        int[] c = backbone.StageInChannels;
        int[] tokens = config.Tokens;
        int cOut = backbone.OutChannels;
        var shapes = backbone.Shapes;

        // Latent (L, C_1): normal(0, 0.02) clamped to [-2, 2] (a no-op at 100 σ, so not applied).
        Latent = RegisterParameter("latent", NewTensor(config.NumLatents, c[0]));
        Init.Normal(Latent, rng, 0.0, 0.02);

        foreach (var (name, m) in backbone.Modules)
        {
            RegisterModule(name, m);
        }

        var pool = config.SpatialReduction ? RegisterModule("ca_pooling", new AdaptiveAvgPool2d(7, 7)) : null;
        for (int i = 0; i < 4; i++)
        {
            // X2Z_i reads X_{i-1}: the stem output (i = 0) or stage i's output.
            var (_, h, w) = shapes[i];
            if (i == 0 || config.WithX2Z)
            {
                var dwc = config.WithDwc
                    ? RegisterModule($"dwc{i + 1}_x2z", new Conv2d(c[i], c[i], 7, rng, padding: 3, groups: c[i]))
                    : null;
                int keys = pool is null ? h * w : 49;
                var layer = RegisterModule($"cross_att{i + 1}_x2z",
                    new CrossAttentionLayer(1, c[i], c[i], rng, wideningFactor: 1, rpbTokens: keys));
                _x2z[i] = new X2Z(dwc, pool, layer);
            }

            if (i > 0 && config.WithZ2X)
            {
                _z2x[i] = new Z2X(RegisterModule($"cross_att{i + 1}_z2x", Z2X.CreateLayer(c[i], c[i], rng)));
            }

            CheckHeads(c[i], config.NumSaHeads[i], i);
            _selfAtt[i] = RegisterModule($"self_att{i + 1}",
                new SelfAttentionBlock(config.SaLayers[i], config.NumSaHeads[i], c[i], config.SaWideningFactor, rng));
        }

        if (config.WithLastCA)
        {
            LastZ2X = new Z2X(RegisterModule("last_cross_att_z2x", Z2X.CreateLayer(cOut, c[3], rng)));
        }

        EarlyClassifier3 = RegisterModule("early_classifier3", new Linear(c[2], numClasses, rng));
        int mergeIn;
        if (config.WithIsc)
        {
            Isc3 = RegisterModule("isc3", CreateIsc(numClasses, c[3], rng));
            ClassifierAtt = RegisterModule("classifier_att", new Linear(2 * c[3], numClasses, rng));
            Isc4 = RegisterModule("isc4", CreateIsc(numClasses, c[3], rng));
            mergeIn = cOut + 2 * c[3];
        }
        else
        {
            ClassifierAtt = RegisterModule("classifier_att", new Linear(c[3], numClasses, rng));
            mergeIn = cOut + c[3];
        }

        MergeInFeatures = mergeIn;
        ClassifierMerge = RegisterModule("classifier_merge", backbone.CreateMergeHead(mergeIn, numClasses, rng));

        var expanders = RegisterModule("token_expander", new ModuleList<Sequential>());
        var mixers = RegisterModule("token_mixer", new ModuleList<Sequential>());
        for (int i = 0; i < 3; i++)
        {
            var (mix, expand) = TokenMixer.Create(tokens[i], tokens[i + 1], c[i], c[i + 1], rng);
            expanders.Add(expand);
            mixers.Add(mix);
            _mixers[i] = new TokenMixer(mix, expand);
        }

        _exits = DynPerceiverCost.Count(this);
    }

    /// <summary>The feature branch.</summary>
    public PerceiverBackbone Backbone { get; }

    /// <summary>The flags.</summary>
    public DynPerceiverConfig Config { get; }

    /// <summary>The initial latent (L, C_1).</summary>
    public Tensor Latent { get; }

    /// <summary>The X2Z steps of stages 1..4 (null where <c>with_x2z</c> is off).</summary>
    public IReadOnlyList<X2Z?> X2Zs => _x2z;

    /// <summary>The Z2X steps before stages 2..4 (index 1..3; null at 0 and where <c>with_z2x</c> is off).</summary>
    public IReadOnlyList<Z2X?> Z2Xs => _z2x;

    /// <summary>The self-attention blocks of stages 1..4.</summary>
    public IReadOnlyList<SelfAttentionBlock> SelfAttentionBlocks => _selfAtt;

    /// <summary>The token mixers between stages (ψ_1..ψ_3).</summary>
    public IReadOnlyList<TokenMixer> TokenMixers => _mixers;

    /// <summary>The last Z2X (null without <c>with_last_CA</c>).</summary>
    public Z2X? LastZ2X { get; }

    /// <summary>Exit 1's classifier: Linear(C_3 → K) on the token-mean.</summary>
    public Linear EarlyClassifier3 { get; }

    /// <summary>FKT from exit 1 into exit 2: Linear(K → C_4) → BatchNorm1d → ReLU (null without <c>with_isc</c>).</summary>
    public Sequential? Isc3 { get; }

    /// <summary>Exit 2's classifier: Linear(2·C_4 → K) with FKT, Linear(C_4 → K) without.</summary>
    public Linear ClassifierAtt { get; }

    /// <summary>FKT from exit 2 into exit 4 (null without <c>with_isc</c>).</summary>
    public Sequential? Isc4 { get; }

    /// <summary>Exit 4's classifier (BatchNorm1d → Linear for ResNet/RegNet).</summary>
    public Module ClassifierMerge { get; }

    /// <summary>Input width of the merge classifier: C_out + 2·C_4 (FKT) or C_out + C_4.</summary>
    public int MergeInFeatures { get; }

    /// <summary>
    /// The official loss (engine.train_one_epoch_earlyExit with the README settings): CE weights early3 0.5, att 0.5,
    /// cnn 1.0, merge 1.0, plus self-distillation from the merge exit into the other three with α = 0.5, T = 1
    /// (additive). Used unless the training config gives its own exit weights.
    /// </summary>
    public static ExitLossDefaults OfficialLoss { get; } = new([0.5, 0.5, 1.0, 1.0], 0.5, 1.0);

    /// <inheritdoc/>
    public override ExitLossDefaults? DefaultLoss => OfficialLoss;

    /// <inheritdoc/>
    public override IReadOnlyList<ExitInfo> Exits => _exits;

    /// <inheritdoc/>
    public override int NumClasses { get; }

    /// <inheritdoc/>
    public override int[] InputShape => _inputShape;

    private static Sequential CreateIsc(int numClasses, int c4, Rng rng) =>
        new(new Linear(numClasses, c4, rng), new BatchNorm1d(c4), new ReLU());

    private static void CheckHeads(int channels, int heads, int stage)
    {
        if (channels % heads != 0)
        {
            throw new ArgumentException(
                $"DynamicPerceiver: stage {stage + 1} latent width {channels} is not divisible by its {heads} SA heads; choose another width");
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture,
        $"latents={Config.NumLatents}, C=[{string.Join(", ", Backbone.StageInChannels)}], C_out={Backbone.OutChannels}, " +
        $"x2z={Config.WithX2Z}, z2x={Config.WithZ2X}, dwc={Config.WithDwc}, last_CA={Config.WithLastCA}, isc={Config.WithIsc}");
}
