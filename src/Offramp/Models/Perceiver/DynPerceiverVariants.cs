// Dynamic Perceiver: the named variants of the registry. The official names (models/dyn_perceiver_*.py) build the
// 224×224 configurations when given a 3×224×224 input and adapt to small inputs (28×28, 32×32) through the
// backbone's small-input stem; the dp_* variants are the small models meant for Fashion-MNIST/CIFAR.
// ModelOptions.WidthMultiplier multiplies the width in the name (1.0 = the official model).
using Offramp.Engine;
using Offramp.Models.ResNets;

namespace Offramp.Models.Perceiver;

/// <summary>The registered Dynamic Perceiver variants.</summary>
public static class DynPerceiverVariants
{
    /// <summary>One variant: registry name, description, and a factory from the options.</summary>
    public sealed record Variant(string Name, string Description, Func<ModelOptions, DynamicPerceiver> Create);

    /// <summary>The README's ResNet flags: depth factor [1,1,1,1], SA widening 4, drop rate 0.2.</summary>
    public static DynPerceiverConfig ResNetDefaults(int latents) => new() { NumLatents = latents };

    /// <summary>Every variant, in registration order.</summary>
    public static IReadOnlyList<Variant> All { get; } =
    [
        ResNetVariant("dp_resnet18_t32", ResNetArch.ImageNet(ResNetBlockKind.Basic, 2, 2, 2, 2), 1.0, 32,
            "small Dynamic Perceiver over ResNet-18 (32 latents; for 28×28/32×32, use --width 0.25..0.5)"),
        ResNetVariant("dp_resnet18_t64", ResNetArch.ImageNet(ResNetBlockKind.Basic, 2, 2, 2, 2), 1.0, 64,
            "small Dynamic Perceiver over ResNet-18 (64 latents)"),
        ResNetVariant("resnet18_perceiver_t128", ResNetArch.ImageNet(ResNetBlockKind.Basic, 2, 2, 2, 2), 1.0, 128,
            "official Dyn-Perceiver, ResNet-18, 128 latents"),
        ResNetVariant("resnet34_perceiver_t128", ResNetArch.ImageNet(ResNetBlockKind.Basic, 3, 4, 6, 3), 1.0, 128,
            "official Dyn-Perceiver, ResNet-34, 128 latents"),
        ResNetVariant("resnet50_perceiver_t128", ResNetArch.ImageNet(ResNetBlockKind.Bottleneck, 3, 4, 6, 3), 1.0, 128,
            "official Dyn-Perceiver, ResNet-50, 128 latents"),
        ResNetVariant("resnet50_0375_perceiver_t128", ResNetArch.ImageNet(ResNetBlockKind.Bottleneck, 3, 4, 6, 3), 0.375, 128,
            "official Dyn-Perceiver, ResNet-50 ×0.375, 128 latents (README: 72.9/77.5/74.3/77.7 on ImageNet)"),
        ResNetVariant("resnet50_050_perceiver_t128", ResNetArch.ImageNet(ResNetBlockKind.Bottleneck, 3, 4, 6, 3), 0.5, 128,
            "official Dyn-Perceiver, ResNet-50 ×0.5, 128 latents"),
    ];

    /// <summary>Adds every variant to <paramref name="entries"/>.</summary>
    public static void Register(ICollection<ModelEntry> entries)
    {
        foreach (var v in All)
        {
            entries.Add(new ModelEntry(v.Name, "dyn-perceiver", v.Description, o => v.Create(o)));
        }
    }

    private static Variant ResNetVariant(string name, ResNetArch arch, double width, int latents, string description) =>
        new(name, description, o =>
        {
            Validate(name, o);
            var config = ResNetDefaults(latents).WithOverrides(o.Extra);
            var rng = new Rng(o.Seed);
            var backbone = new ResNetPerceiverBackbone(arch, width * o.WidthMultiplier, o.InputShape, o.NumClasses,
                config.DropRate, rng);
            return new DynamicPerceiver(backbone, config, o.InputShape, o.NumClasses, rng);
        });

    private static void Validate(string name, ModelOptions o)
    {
        if (o.InputShape is not { Length: 3 } || o.InputShape.Any(d => d <= 0) || o.NumClasses <= 0
            || !(o.WidthMultiplier > 0))
        {
            throw new ArgumentException(
                $"{name}: invalid options: input shape ({string.Join(", ", o.InputShape ?? [])}), classes {o.NumClasses}, width {o.WidthMultiplier}");
        }

        if (o.ExitAfter is not null)
        {
            throw new ArgumentException($"{name}: the Dynamic Perceiver's exits are fixed (early3, att, cnn, merge); ExitAfter is not supported");
        }

        if (o.InputShape[1] < 28 || o.InputShape[2] < 28)
        {
            throw new ArgumentException(
                $"{name}: input {o.InputShape[1]}×{o.InputShape[2]} is too small: the X2Z of stage 4 pools an H/8 map to 7×7, so H and W must be at least 28 with the small stem");
        }
    }
}
