using Offramp.Engine;
using Offramp.Models.MobileNets;
using Offramp.Models.RegNets;
using Offramp.Models.ResNets;

namespace Offramp.Models;

/// <summary>Options every registered model understands; families may read more from <see cref="Extra"/>.</summary>
public sealed record ModelOptions
{
    /// <summary>Classes of the task (10 for Fashion-MNIST).</summary>
    public int NumClasses { get; init; } = 10;

    /// <summary>Per-sample input shape (C, H, W); Fashion-MNIST is (1, 28, 28).</summary>
    public int[] InputShape { get; init; } = [1, 28, 28];

    /// <summary>Channel width multiplier of the backbone.</summary>
    public double WidthMultiplier { get; init; } = 1.0;

    /// <summary>Where exits go (family-specific block indices, 0-based); null = the family's default placement.</summary>
    public int[]? ExitAfter { get; init; }

    /// <summary>Exit head kind ("linear" = GAP + Linear, "sdn" = SDN's pooled head); null = family default.</summary>
    public string? Head { get; init; }

    /// <summary>Seed of the parameter initialisation (one seed decides every random choice).</summary>
    public ulong Seed { get; init; } = 0;

    /// <summary>Family-specific options (string → string), e.g. from a config file.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}

/// <summary>A registered model: name, family, one-line description and a factory.</summary>
public sealed record ModelEntry(string Name, string Family, string Description, Func<ModelOptions, MultiExitModel> Create);

/// <summary>
/// The named multi-exit models. The CLI's <c>--model</c> and the model test matrix both come from this table, so a
/// model is tested the moment it is registered (timm's registry idea).
/// </summary>
public static class ModelRegistry
{
    // Lazy (thread-safe by default): tests enumerate and create models in parallel.
    private static readonly Lazy<IReadOnlyList<ModelEntry>> Entries = new(RegisterAll);

    /// <summary>Every registered model, in registration order.</summary>
    public static IReadOnlyList<ModelEntry> All => Entries.Value;

    /// <summary>Builds a registered model.</summary>
    /// <exception cref="ArgumentException">No model has that name; the message lists the known names.</exception>
    public static MultiExitModel Create(string name, ModelOptions? options = null)
    {
        var e = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                $"unknown model '{name}'; known models: {string.Join(", ", All.Select(m => m.Name))}");
        return e.Create(options ?? new ModelOptions());
    }

    private static List<ModelEntry> RegisterAll()
    {
        var entries = new List<ModelEntry>();
        // Families register here, one line each.
        ResNetVariants.Register(entries);
        RegNetYVariants.Register(entries);
        MobileNetV3Variants.Register(entries);
        return entries;
    }
}
