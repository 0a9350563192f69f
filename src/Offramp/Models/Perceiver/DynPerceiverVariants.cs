// Dynamic Perceiver: the named variants of the registry. The official names (models/dyn_perceiver_*.py) build the
// 224×224 configurations when given a 3×224×224 input and adapt to small inputs (28×28, 32×32) through the
// backbone's small-input stem; the dp_* variants are the small models meant for Fashion-MNIST/CIFAR.
// ModelOptions.WidthMultiplier multiplies the width in the name (1.0 = the official model).
using Offramp.Engine;
using Offramp.Models.RegNets;
using Offramp.Models.ResNets;

namespace Offramp.Models.Perceiver;

/// <summary>The registered Dynamic Perceiver variants.</summary>
public static class DynPerceiverVariants
{
    /// <summary>One variant: registry name, description, and a factory from the options.</summary>
    public sealed record Variant(string Name, string Description, Func<ModelOptions, DynamicPerceiver> Create);

    /// <summary>The README's ResNet flags: depth factor [1,1,1,1], SA widening 4, drop rate 0.2.</summary>
    public static DynPerceiverConfig ResNetDefaults(int latents) => new() { NumLatents = latents };

    /// <summary>The README's RegNetY flags (reg800m command): depth factor [1,1,1,2], SA widening 4, spatial
    /// reduction; RegNet has no head dropout.</summary>
    public static DynPerceiverConfig RegNetDefaults(int latents) =>
        new() { NumLatents = latents, DepthFactor = [1, 1, 1, 2], DropRate = 0 };

    /// <summary>The README's MobileNetV3 flags: depth factor [1,1,1,3], SA widening 4, spatial reduction (the head
    /// dropout 0.2 is inside its classifiers).</summary>
    public static DynPerceiverConfig MobileNetDefaults(int latents) =>
        new() { NumLatents = latents, DepthFactor = [1, 1, 1, 3], DropRate = 0 };

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
        RegNetVariant("dp_regnety_400mf_t32", "regnet_y_400mf", 32,
            "small Dynamic Perceiver over RegNetY-400MF (32 latents; for 28×28/32×32)"),
        RegNetVariant("reg400m_perceiver_t128", "regnet_y_400mf", 128, "official Dyn-Perceiver, RegNetY-400MF, 128 latents"),
        RegNetVariant("reg800m_perceiver_t128", "regnet_y_800mf", 128,
            "official Dyn-Perceiver, RegNetY-800MF, 128 latents (README: 68.6/78.3/79.2/79.9 on ImageNet)"),
        RegNetVariant("reg1x6g_perceiver_t128", "regnet_y_1_6gf", 128, "official Dyn-Perceiver, RegNetY-1.6GF, 128 latents"),
        RegNetVariant("reg3x2g_perceiver_t128", "regnet_y_3_2gf", 128, "official Dyn-Perceiver, RegNetY-3.2GF, 128 latents"),
        MobileNetVariant("dp_mobilenetv3_t32", 1.0, 32,
            "small Dynamic Perceiver over MobileNetV3-Large (32 latents; for 28×28/32×32)"),
        MobileNetVariant("mobilenetV3_0x5_perceiver_t128", 0.5, 128, "official Dyn-Perceiver, MobileNetV3-Large ×0.5, 128 latents"),
        MobileNetVariant("mobilenetV3_0x75_perceiver_t128", 0.75, 128,
            "official Dyn-Perceiver, MobileNetV3-Large ×0.75, 128 latents (README: 53.1/71.7/71.9/74.6 on ImageNet)"),
        MobileNetVariant("mobilenetV3_perceiver_t128", 1.0, 128, "official Dyn-Perceiver, MobileNetV3-Large, 128 latents"),
        MobileNetVariant("mobilenetV3_1x25_perceiver_t128", 1.25, 128, "official Dyn-Perceiver, MobileNetV3-Large ×1.25, 128 latents"),
        MobileNetVariant("mobilenetV3_1x5_perceiver_t128", 1.5, 128, "official Dyn-Perceiver, MobileNetV3-Large ×1.5, 128 latents"),
        MobileNetVariant("mobilenetV3_2x0_perceiver_t128", 2.0, 128, "official Dyn-Perceiver, MobileNetV3-Large ×2.0, 128 latents"),
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
            var backbone = new ResNetPerceiverBackbone(arch.WithOverrides(o.Extra), width * o.WidthMultiplier, o.InputShape, o.NumClasses,
                config.DropRate, rng);
            return new DynamicPerceiver(backbone, config, o.InputShape, o.NumClasses, rng);
        });

    private static Variant RegNetVariant(string name, string regnet, int latents, string description) =>
        new(name, description, o =>
        {
            Validate(name, o);
            var config = RegNetDefaults(latents).WithOverrides(o.Extra);
            var rng = new Rng(o.Seed);
            var backbone = new RegNetPerceiverBackbone(RegNetYVariants.Get(regnet), o.WidthMultiplier, o.InputShape,
                o.NumClasses, rng);
            return new DynamicPerceiver(backbone, config, o.InputShape, o.NumClasses, rng);
        });

    private static Variant MobileNetVariant(string name, double width, int latents, string description) =>
        new(name, description, o =>
        {
            Validate(name, o);
            var config = MobileNetDefaults(latents).WithOverrides(o.Extra);
            var rng = new Rng(o.Seed);
            var backbone = new MobileNetPerceiverBackbone(width * o.WidthMultiplier, o.InputShape, o.NumClasses, rng);
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
