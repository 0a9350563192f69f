namespace Offramp.Models.MobileNets;

/// <summary>
/// The registered MobileNetV3: one entry, <c>mobilenetv3_large</c>, whose width comes from
/// <see cref="ModelOptions.WidthMultiplier"/> (<c>--width-multiplier</c>). The widths the Dynamic Perceiver uses are
/// listed in <see cref="Widths"/>.
/// </summary>
public static class MobileNetV3Variants
{
    /// <summary>The width multipliers the Dynamic Perceiver uses (mobilenetV3_0x5 … _2x0).</summary>
    public static IReadOnlyList<double> Widths { get; } = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0];

    /// <summary>Adds the entry to <paramref name="entries"/>.</summary>
    public static void Register(ICollection<ModelEntry> entries) =>
        entries.Add(new ModelEntry("mobilenetv3_large", "mobilenetv3",
            "MobileNetV3-Large (torchvision; width via --width-multiplier), 5,483,032 params, 0.22 GFLOPs at 224",
            options => new MultiExitMobileNetV3(options)));
}
