// Multi-exit MobileNetV3-Large: the backbone of MobileNetV3.cs (torchvision keys features.*, classifier.*) with exit
// heads (Offramp's Heads, keys exits.0.*, …) after chosen feature blocks; the final exit is the backbone's avgpool +
// classifier after the last conv. The block chain is features[1..16] (features[0], the first conv, is the stem), so
// ExitAfter = j places an exit after features[j + 1].
// Default exits: after the Dynamic Perceiver's stages 1–3, i.e. after features[4], features[7] and features[13].
// Small inputs (under 64 pixels a side, or Extra "stem" = "small"): features[0] and features[2] have stride 1 (see
// MobileNetV3.cs), so a 28×28 image gives 14/7/4/4 feature maps after stages 1–4 (224: 28/14/7/7).
// Width multiplier: torchvision's width_mult (MakeDivisible(c·m, 8) for every width).
using Offramp.Engine;
using Offramp.Models.Blocks;

namespace Offramp.Models.MobileNets;

/// <summary>
/// A multi-exit MobileNetV3-Large. <see cref="ModelOptions.ExitAfter"/> indexes the chain features[1..16] (0 =
/// features.1).
/// </summary>
/// <remarks>Options read: <see cref="ModelOptions.NumClasses"/>, <see cref="ModelOptions.InputShape"/>,
/// <see cref="ModelOptions.WidthMultiplier"/>, <see cref="ModelOptions.ExitAfter"/>, <see cref="ModelOptions.Head"/>,
/// <see cref="ModelOptions.Seed"/>, and Extra <c>stem</c> ("auto" | "imagenet" | "small").</remarks>
public sealed class MultiExitMobileNetV3 : BlockChainModel
{
    /// <summary>Builds the model.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public MultiExitMobileNetV3(ModelOptions options)
        : base("MobileNetV3", options)
    {
        SmallStem = UseSmallStem(Family, options);
        var rng = new Rng(options.Seed);
        Backbone = MobileNetV3.Large(options.WidthMultiplier, NumClasses, rng, InputShape[0], SmallStem);
        foreach (var (name, child) in Backbone.NamedChildren())
        {
            RegisterModule(name, child);
        }

        int h = InputShape[1], w = InputShape[2];
        var shapes = Backbone.FeatureOutputShapes(h, w);
        var macs = Backbone.FeatureMacs(h, w);
        var blocks = new List<ChainBlock>();
        for (int i = 1; i < shapes.Length; i++)
        {
            var (c, oh, ow) = shapes[i];
            blocks.Add(new ChainBlock($"features.{i}", Backbone.Features[i], macs[i], c, oh, ow));
        }

        // After stages 1–3 of the Dynamic Perceiver's split: features[End − 1], chain index End − 2.
        int[] defaults = [.. MobileNetV3.DynamicPerceiverSplit.Skip(1).Take(3).Select(s => s.End - 2)];
        PlaceExits(blocks, macs[0], Backbone.HeadMacs, "classifier", defaults, options, rng);
    }

    /// <summary>The backbone (its modules are this model's <c>features</c>, <c>avgpool</c> and
    /// <c>classifier</c>).</summary>
    public MobileNetV3 Backbone { get; }

    /// <summary>Whether the small-input stem is in use.</summary>
    public bool SmallStem { get; }

    /// <inheritdoc/>
    protected override Tensor RunStem(Tensor input) => Backbone.ForwardFeatures(input, 0, 1);

    /// <inheritdoc/>
    protected override Tensor RunFinalHead(Tensor features) => Backbone.ForwardHead(features);
}
