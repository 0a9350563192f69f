using System.Globalization;
using Offramp.Models;

namespace Offramp.Training;

/// <summary>
/// How the per-exit losses are weighted in the total: a named scheme or explicit weights.
/// </summary>
/// <remarks>
/// <para>Named schemes are normalised to sum to 1, so the total stays on the scale of one cross-entropy:</para>
/// <list type="bullet">
/// <item><c>equal</c>: w_k = 1/K, the unweighted mean of the per-exit losses used by the joint regime of
/// Kubaty et al. 2025 (<c>kamadforge/early-exit-benchmark</c>, <c>methods/early_exit.py</c>).</item>
/// <item><c>increasing</c>: w_k = (k + 1)/Σ_j (j + 1), deeper exits weigh more (the GPF weighting
/// Σ(i+1)·L_i / Σ(i+1) of the same code).</item>
/// <item><c>final2</c>: w_k ∝ 1 for the early exits and 2 for the final one, normalised.</item>
/// <item><c>model</c>: the model's own weights (<see cref="MultiExitModel.DefaultLoss"/>), else <c>equal</c>.</item>
/// </list>
/// <para>Explicit weights are used as given, unnormalised: Dynamic Perceiver's official loss is
/// <c>[0.5, 0.5, 1.0, 1.0]</c> over (early3, att, cnn, merge), papers/dynamic-perceiver.md §A.4.</para>
/// </remarks>
public sealed record ExitWeighting
{
    private readonly double[]? _values;

    private ExitWeighting(string scheme, double[]? values)
    {
        Scheme = scheme;
        _values = values;
    }

    /// <summary>The unweighted mean, w_k = 1/K.</summary>
    public static ExitWeighting Equal { get; } = new("equal", null);

    /// <summary>w_k ∝ k + 1.</summary>
    public static ExitWeighting Increasing { get; } = new("increasing", null);

    /// <summary>w_k ∝ 1, the final exit ∝ 2.</summary>
    public static ExitWeighting FinalDouble { get; } = new("final2", null);

    /// <summary>
    /// The model's own weights (<see cref="MultiExitModel.DefaultLoss"/>, e.g. Dynamic Perceiver's 0.5,0.5,1,1);
    /// equal weights for a model without them. Resolved by <see cref="ForModel"/>.
    /// </summary>
    public static ExitWeighting Model { get; } = new("model", null);

    /// <summary>The names accepted by <see cref="Parse"/> besides a list of numbers.</summary>
    public static IReadOnlyList<string> SchemeNames { get; } = ["equal", "increasing", "final2", "model"];

    /// <summary>The scheme's name, or <c>explicit</c> for given weights.</summary>
    public string Scheme { get; }

    /// <summary>The given weights (null for a named scheme).</summary>
    public IReadOnlyList<double>? Values => _values;

    /// <summary>Explicit per-exit weights, in exit order.</summary>
    /// <exception cref="ArgumentException">No weight, or a weight that is negative or not finite.</exception>
    public static ExitWeighting Explicit(params double[] weights)
    {
        if (weights.Length == 0 || weights.Any(w => !(w >= 0 && double.IsFinite(w))))
        {
            throw new ArgumentException(
                $"exit weights must be one or more finite numbers >= 0, got [{string.Join(", ", weights.Select(Format))}]");
        }

        return new ExitWeighting("explicit", (double[])weights.Clone());
    }

    /// <summary>Parses a scheme name or comma-separated weights (<c>"0.5,0.5,1,1"</c>).</summary>
    /// <exception cref="FormatException">Neither a known name nor a list of numbers.</exception>
    public static ExitWeighting Parse(string text)
    {
        var t = text.Trim();
        foreach (var s in new[] { Equal, Increasing, FinalDouble, Model })
        {
            if (string.Equals(t, s.Scheme, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }
        }

        var parts = t.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new FormatException(
                    $"'{text}' is not an exit weighting: use one of {string.Join(", ", SchemeNames)} or numbers like 0.5,0.5,1,1");
            }
        }

        try
        {
            return Explicit(values);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    /// <summary>
    /// This weighting for <paramref name="model"/>: the <c>model</c> scheme becomes the model's default weights
    /// (explicit) or <see cref="Equal"/>; any other weighting is returned as is.
    /// </summary>
    public ExitWeighting ForModel(MultiExitModel model) =>
        Scheme != "model" ? this
        : model.DefaultLoss is { } d ? Explicit([.. d.ExitWeights])
        : Equal;

    /// <summary>The weights for <paramref name="exits"/> exits (the <c>model</c> scheme, unresolved, gives equal
    /// weights).</summary>
    /// <exception cref="ArgumentException">Explicit weights whose count is not <paramref name="exits"/>.</exception>
    public double[] For(int exits)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exits);
        if (_values is not null)
        {
            if (_values.Length != exits)
            {
                throw new ArgumentException($"exit weights [{ToString()}] give {_values.Length} weights for a model with {exits} exits");
            }

            return (double[])_values.Clone();
        }

        var w = new double[exits];
        for (int k = 0; k < exits; k++)
        {
            w[k] = Scheme switch
            {
                "increasing" => k + 1,
                "final2" => k == exits - 1 ? 2 : 1,
                _ => 1,
            };
        }

        double sum = w.Sum();
        for (int k = 0; k < exits; k++)
        {
            w[k] /= sum;
        }

        return w;
    }

    /// <summary>The scheme name, or the weights comma-separated (round-trips through <see cref="Parse"/>).</summary>
    public override string ToString() => _values is null ? Scheme : string.Join(",", _values.Select(Format));

    /// <inheritdoc/>
    public bool Equals(ExitWeighting? other) =>
        other is not null && Scheme == other.Scheme && (_values ?? []).SequenceEqual(other._values ?? []);

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
