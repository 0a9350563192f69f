namespace Offramp.Models.RegNets;

/// <summary>
/// The named RegNetYs (torchvision 0.14's <c>regnet_y_*</c> constructors; Radosavovic et al. 2020, Table 5 / App. C)
/// and their registry entries. Parameter counts and GFLOPS at 3×224×224 and 1000 classes are torchvision's.
/// </summary>
public static class RegNetYVariants
{
    /// <summary>The variants: registry name, torchvision name, block parameters, description.</summary>
    public static IReadOnlyList<(string Name, string TorchvisionName, RegNetBlockParams Params, string Description)> All
    { get; } =
    [
        ("regnety_400mf", "regnet_y_400mf",
            RegNetBlockParams.FromInitParams(16, 48, 27.89, 2.09, 8, seRatio: 0.25),
            "RegNetY-400MF (torchvision), 4,344,144 params, 0.40 GFLOPs at 224"),
        ("regnety_800mf", "regnet_y_800mf",
            RegNetBlockParams.FromInitParams(14, 56, 38.84, 2.4, 16, seRatio: 0.25),
            "RegNetY-800MF (torchvision), 6,432,512 params, 0.83 GFLOPs at 224"),
        ("regnety_1_6gf", "regnet_y_1_6gf",
            RegNetBlockParams.FromInitParams(27, 48, 20.71, 2.65, 24, seRatio: 0.25),
            "RegNetY-1.6GF (torchvision), 11,202,430 params, 1.61 GFLOPs at 224"),
        ("regnety_3_2gf", "regnet_y_3_2gf",
            RegNetBlockParams.FromInitParams(21, 80, 42.63, 2.66, 24, seRatio: 0.25),
            "RegNetY-3.2GF (torchvision), 19,436,338 params, 3.18 GFLOPs at 224"),
    ];

    /// <summary>The block parameters of a variant by registry or torchvision name.</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones).</exception>
    public static RegNetBlockParams Get(string name) =>
        All.FirstOrDefault(v => v.Name == name || v.TorchvisionName == name).Params
        ?? throw new ArgumentException(
            $"unknown RegNetY '{name}'; known: {string.Join(", ", All.Select(v => v.TorchvisionName))}");

    /// <summary>Adds every variant to <paramref name="entries"/>.</summary>
    public static void Register(ICollection<ModelEntry> entries)
    {
        foreach (var (name, _, p, description) in All)
        {
            entries.Add(new ModelEntry(name, "regnety", description, options => new MultiExitRegNetY(p, options)));
        }
    }
}
