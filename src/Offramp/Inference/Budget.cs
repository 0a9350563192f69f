using System.Globalization;

namespace Offramp.Inference;

/// <summary>A target average cost per sample: absolute (MACs per sample, in the costs' unit) or a fraction of the
/// full model's cost C_E.</summary>
public readonly record struct Budget
{
    private Budget(double value, bool isFraction)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "a budget must be finite and ≥ 0");
        }

        Value = value;
        IsFraction = isFraction;
    }

    /// <summary>MACs per sample, or the fraction of C_E when <see cref="IsFraction"/>.</summary>
    public double Value { get; }

    /// <summary>True when <see cref="Value"/> is a fraction of the full model's cost.</summary>
    public bool IsFraction { get; }

    /// <summary>An absolute budget: average cost per sample, in the unit of the exits' costs (MACs).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not finite, or negative.</exception>
    public static Budget Macs(double perSample) => new(perSample, false);

    /// <summary>A budget of <paramref name="fraction"/> × the full model's cost (0.5 = half of C_E).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not finite, or negative.</exception>
    public static Budget FractionOfFullCost(double fraction) => new(fraction, true);

    /// <summary>The budget in cost units, given the full model's cost C_E.</summary>
    public double Resolve(double fullCost) => IsFraction ? Value * fullCost : Value;

    /// <summary>E.g. <c>1.5E+06 MACs/sample</c> or <c>50 % of the full cost</c>.</summary>
    public override string ToString() => IsFraction
        ? string.Create(CultureInfo.InvariantCulture, $"{Value * 100:G6} % of the full cost")
        : string.Create(CultureInfo.InvariantCulture, $"{Value:G6} MACs/sample");
}
