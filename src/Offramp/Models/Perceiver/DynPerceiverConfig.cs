// Dynamic Perceiver (Han et al., ICCV 2023): the constructor flags of the official DynPerceiver. Defaults are the
// README training commands' values (papers/dynamic-perceiver.md §A.2, §A.7), not the argparse defaults.
using System.Globalization;

namespace Offramp.Models.Perceiver;

/// <summary>The flags of a <see cref="DynamicPerceiver"/> (official names in brackets).</summary>
public sealed record DynPerceiverConfig
{
    /// <summary>Latent tokens L in stage 1 (<c>num_latents</c>); stages 2–4 have L/2, L/4, L/8. Default 128.</summary>
    public int NumLatents { get; init; } = 128;

    /// <summary>Self-attention heads per stage (<c>num_SA_heads</c>), default [1, 2, 4, 8].</summary>
    public int[] NumSaHeads { get; init; } = [1, 2, 4, 8];

    /// <summary>SA layers per stage are [3·d0, 3·d1, 9·d2, 3·d3] (<c>depth_factor</c>); README: [1,1,1,1] for
    /// ResNet, [1,1,1,2] for RegNetY-800MF, [1,1,1,3] for MobileNetV3.</summary>
    public int[] DepthFactor { get; init; } = [1, 1, 1, 1];

    /// <summary>MLP widening of the SA layers (<c>SA_widening_factor</c>); README 4.</summary>
    public int SaWideningFactor { get; init; } = 4;

    /// <summary>Pool the X2Z keys to 7×7 (<c>spatial_reduction</c>); README true.</summary>
    public bool SpatialReduction { get; init; } = true;

    /// <summary>X2Z cross-attention in stages 2–4 (<c>with_x2z</c>; stage 1 always has one).</summary>
    public bool WithX2Z { get; init; } = true;

    /// <summary>Z2X cross-attention after CNN stages 1–3 (<c>with_z2x</c>).</summary>
    public bool WithZ2X { get; init; } = true;

    /// <summary>Residual 7×7 depth-wise conv before the X2Z pooling (<c>with_dwc</c>).</summary>
    public bool WithDwc { get; init; } = true;

    /// <summary>The last Z2X feeding the merge head (<c>with_last_CA</c>).</summary>
    public bool WithLastCA { get; init; } = true;

    /// <summary>Forward knowledge transfer, the previous exit's logits into the next classifier (<c>with_isc</c>).</summary>
    public bool WithIsc { get; init; } = true;

    /// <summary>Dropout before the CNN classifier (<c>drop_rate</c>; ResNet 0.2, RegNet none, MobileNetV3 inside
    /// its head).</summary>
    public double DropRate { get; init; } = 0.2;

    /// <summary>The keys <see cref="WithOverrides"/> reads from <see cref="ModelOptions.Extra"/>.</summary>
    public static IReadOnlyList<string> ExtraKeys { get; } =
    [
        "num_latents", "num_sa_heads", "depth_factor", "sa_widening_factor", "spatial_reduction", "with_x2z",
        "with_z2x", "with_dwc", "with_last_ca", "with_isc", "drop_rate",
    ];

    /// <summary>This config with the flags given in <paramref name="extra"/> (keys case-insensitive, official names:
    /// <c>with_last_CA</c>, <c>depth_factor</c> = "1,1,1,3", …); other keys are left to the backbone.</summary>
    /// <exception cref="ArgumentException">A value does not parse.</exception>
    public DynPerceiverConfig WithOverrides(IReadOnlyDictionary<string, string> extra)
    {
        var c = this;
        foreach (var (rawKey, value) in extra)
        {
            string key = rawKey.ToLowerInvariant();
            c = key switch
            {
                "num_latents" => c with { NumLatents = ParseInt(key, value) },
                "num_sa_heads" => c with { NumSaHeads = ParseInts(key, value, 4) },
                "depth_factor" => c with { DepthFactor = ParseInts(key, value, 4) },
                "sa_widening_factor" => c with { SaWideningFactor = ParseInt(key, value) },
                "spatial_reduction" => c with { SpatialReduction = ParseBool(key, value) },
                "with_x2z" => c with { WithX2Z = ParseBool(key, value) },
                "with_z2x" => c with { WithZ2X = ParseBool(key, value) },
                "with_dwc" => c with { WithDwc = ParseBool(key, value) },
                "with_last_ca" => c with { WithLastCA = ParseBool(key, value) },
                "with_isc" => c with { WithIsc = ParseBool(key, value) },
                "drop_rate" => c with { DropRate = ParseDouble(key, value) },
                _ => c,
            };
        }

        return c;
    }

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (NumLatents < 8 || NumLatents % 8 != 0)
        {
            throw new ArgumentException($"DynamicPerceiver: num_latents must be a positive multiple of 8 (L, L/2, L/4, L/8 tokens), got {NumLatents}");
        }

        if (NumSaHeads.Length != 4 || NumSaHeads.Any(h => h <= 0) || DepthFactor.Length != 4 || DepthFactor.Any(d => d <= 0))
        {
            throw new ArgumentException(
                $"DynamicPerceiver: num_SA_heads [{string.Join(",", NumSaHeads)}] and depth_factor [{string.Join(",", DepthFactor)}] need 4 positive values");
        }

        if (SaWideningFactor <= 0 || !(DropRate >= 0 && DropRate < 1))
        {
            throw new ArgumentException($"DynamicPerceiver: SA_widening_factor {SaWideningFactor} must be positive and drop_rate {DropRate} in [0, 1)");
        }
    }

    /// <summary>SA layers per stage: [3·d0, 3·d1, 9·d2, 3·d3].</summary>
    public int[] SaLayers => [3 * DepthFactor[0], 3 * DepthFactor[1], 9 * DepthFactor[2], 3 * DepthFactor[3]];

    /// <summary>Latent tokens per stage: [L, L/2, L/4, L/8].</summary>
    public int[] Tokens => [NumLatents, NumLatents / 2, NumLatents / 4, NumLatents / 8];

    private static int ParseInt(string key, string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)
            ? i
            : throw new ArgumentException($"DynamicPerceiver: option '{key}' must be an integer, got '{v}'");

    private static double ParseDouble(string key, string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d
            : throw new ArgumentException($"DynamicPerceiver: option '{key}' must be a number, got '{v}'");

    private static bool ParseBool(string key, string v) =>
        bool.TryParse(v, out bool b)
            ? b
            : throw new ArgumentException($"DynamicPerceiver: option '{key}' must be true or false, got '{v}'");

    private static int[] ParseInts(string key, string v, int count)
    {
        var parts = v.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == count
            ? [.. parts.Select(p => ParseInt(key, p))]
            : throw new ArgumentException($"DynamicPerceiver: option '{key}' needs {count} integers, got '{v}'");
    }
}
