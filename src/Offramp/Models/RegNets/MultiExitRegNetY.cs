// Multi-exit RegNetY: the RegNetY backbone of RegNetY.cs (torchvision keys stem.*, trunk_output.*, fc.*) with exit
// heads (Offramp's Heads, keys exits.0.*, …) after chosen blocks; the final exit is the backbone's avgpool + fc.
// Default exits: after the last block of every stage but the last (stages 1–3).
// Small inputs (under 64 pixels a side, or Extra "stem" = "small"): stem stride 1 and stage-1 stride 1, so a 28×28
// or 32×32 image keeps 28/14/7/4 (32/16/8/4) feature maps in stages 1–4, as ResNet's small stem does; at 224 the
// stages see 56/28/14/7.
// Width multiplier: RegNetBlockParams.Scale (stage widths) and MakeDivisible(32·m, 8) for the stem (Offramp's
// extension; 1 = torchvision).
using Offramp.Engine;
using Offramp.Models.Blocks;

namespace Offramp.Models.RegNets;

/// <summary>
/// A multi-exit RegNetY. <see cref="ModelOptions.ExitAfter"/> indexes the blocks of all stages in order (block j of
/// stage s named <c>block{s}-{j}</c>).
/// </summary>
/// <remarks>Options read: <see cref="ModelOptions.NumClasses"/>, <see cref="ModelOptions.InputShape"/>,
/// <see cref="ModelOptions.WidthMultiplier"/>, <see cref="ModelOptions.ExitAfter"/>, <see cref="ModelOptions.Head"/>,
/// <see cref="ModelOptions.Seed"/>, and Extra <c>stem</c> ("auto" | "imagenet" | "small").</remarks>
public sealed class MultiExitRegNetY : BlockChainModel
{
    /// <summary>Builds the model for the (unscaled) <paramref name="blockParams"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public MultiExitRegNetY(RegNetBlockParams blockParams, ModelOptions options)
        : base("RegNetY", options)
    {
        SmallStem = UseSmallStem(Family, options);
        var p = blockParams.Scale(options.WidthMultiplier);
        int stemWidth = ChannelRounding.MakeDivisible(32 * options.WidthMultiplier, 8); // 32 at width 1
        if (SmallStem)
        {
            p = p with { Strides = [1, .. p.Strides.Skip(1)] };
        }

        var rng = new Rng(options.Seed);
        Backbone = new RegNetY(p, NumClasses, rng, InputShape[0], stemWidth, SmallStem ? 1 : 2);
        foreach (var (name, child) in Backbone.NamedChildren())
        {
            RegisterModule(name, child);
        }

        var blocks = new List<ChainBlock>();
        var (c, h, w) = Backbone.StemOutputShape(InputShape[1], InputShape[2]);
        var defaults = new List<int>();
        for (int s = 0; s < Backbone.Stages.Count; s++)
        {
            var stage = Backbone.Stages[s];
            for (int j = 0; j < stage.Blocks.Count; j++)
            {
                var b = stage.Blocks[j];
                long macs = b.Macs(h, w);
                (h, w) = b.OutputSize(h, w);
                c = b.WidthOut;
                blocks.Add(new ChainBlock($"block{s + 1}-{j}", b, macs, c, h, w));
            }

            if (s < Backbone.Stages.Count - 1)
            {
                defaults.Add(blocks.Count - 1);
            }
        }

        PlaceExits(blocks, Backbone.StemMacs(InputShape[1], InputShape[2]), Backbone.HeadMacs, "fc", [.. defaults],
            options, rng);
    }

    /// <summary>The backbone (its modules are this model's <c>stem</c>, <c>trunk_output</c>, <c>avgpool</c> and
    /// <c>fc</c>).</summary>
    public RegNetY Backbone { get; }

    /// <summary>Whether the small-input stem (stride 1, stage 1 stride 1) is in use.</summary>
    public bool SmallStem { get; }

    /// <inheritdoc/>
    protected override Tensor RunStem(Tensor input) => Backbone.ForwardStem(input);

    /// <inheritdoc/>
    protected override Tensor RunFinalHead(Tensor features) => Backbone.ForwardHead(features);
}
