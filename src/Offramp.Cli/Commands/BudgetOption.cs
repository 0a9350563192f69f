using System.Globalization;
using Offramp.Inference;

namespace Offramp.Cli.Commands;

/// <summary>Parses <c>--budget</c>: a fraction of the full model (<c>0.5</c>, <c>50%</c>) or MACs per image with a unit
/// (<c>120M</c> = 120 MMACs, <c>1.5G</c>, <c>800K</c>).</summary>
internal static class BudgetOption
{
    public const string Help = "Average compute per image: a fraction of the full model (0.5 or 50%) or MACs with a unit (120M = 120 MMACs, 800K, 1.5G)";

    /// <exception cref="UsageException">The text is not a budget.</exception>
    public static Budget Parse(string text)
    {
        var t = text.Trim();
        double scale = 0;
        string number = t;
        if (t.EndsWith('%'))
        {
            number = t[..^1];
            scale = -100;
        }
        else if (t.EndsWith("MACs", StringComparison.OrdinalIgnoreCase) || t.Length > 0 && char.IsLetter(t[^1]))
        {
            var u = t.EndsWith("MACs", StringComparison.OrdinalIgnoreCase) ? t[..^4] : t;
            scale = u.Length == 0 ? 0 : char.ToUpperInvariant(u[^1]) switch { 'K' => 1e3, 'M' => 1e6, 'G' => 1e9, _ => 0 };
            number = u.Length == 0 ? "" : u[..^1];
            if (scale == 0)
            {
                throw Bad(text, "unknown unit (use K, M or G MACs, or % of the full model)");
            }
        }

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v <= 0)
        {
            throw Bad(text, "not a positive number");
        }

        if (scale < 0)
        {
            return Budget.FractionOfFullCost(v / 100);
        }

        if (scale > 0)
        {
            return Budget.Macs(v * scale);
        }

        return v <= 1
            ? Budget.FractionOfFullCost(v)
            : throw Bad(text, "a plain number is a fraction of the full model and must be ≤ 1; give MACs with a unit (e.g. 120M)");
    }

    private static UsageException Bad(string text, string why) => new($"--budget '{text}': {why}. {Help}.");
}
