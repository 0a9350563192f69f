using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Offramp.Models;

namespace Offramp.Inference;

/// <summary>
/// Which model a thresholds file belongs to: its name, its exits' names and cumulative costs, and a SHA-256 hash
/// of them. Thresholds are only meaningful for the exits and costs they were calibrated on.
/// </summary>
/// <remarks>The hash covers the canonical text <c>offramp.model/1\n{name}\n{E}\n{name_k}\t{cost_k:R}\n…</c>
/// (UTF-8, costs in round-trip invariant format), written as lowercase hex.</remarks>
public sealed class ModelIdentity : IEquatable<ModelIdentity>
{
    private readonly string[] _exitNames;
    private readonly double[] _exitCosts;

    /// <summary>Creates the identity over copies of the lists.</summary>
    /// <param name="name">The model's name ("" when unknown).</param>
    /// <param name="exitNames">E ≥ 1 exit names, in execution order.</param>
    /// <param name="exitCosts">E cumulative costs per sample, finite.</param>
    /// <exception cref="ArgumentException">The lists are empty or differ in length, or a cost is not finite.</exception>
    public ModelIdentity(string name, IReadOnlyList<string> exitNames, IReadOnlyList<double> exitCosts)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(exitNames);
        ArgumentNullException.ThrowIfNull(exitCosts);
        if (exitNames.Count == 0 || exitNames.Count != exitCosts.Count || exitCosts.Any(c => !double.IsFinite(c)))
        {
            throw new ArgumentException(
                $"ModelIdentity '{name}': {exitNames.Count} exit names and {exitCosts.Count} finite costs needed, one per exit (≥ 1)");
        }

        Name = name;
        _exitNames = [.. exitNames];
        _exitCosts = [.. exitCosts];
        Hash = ComputeHash(name, _exitNames, _exitCosts);
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The exits' names, in execution order.</summary>
    public IReadOnlyList<string> ExitNames => _exitNames;

    /// <summary>The exits' cumulative costs per sample.</summary>
    public IReadOnlyList<double> ExitCosts => _exitCosts;

    /// <summary>SHA-256 of the canonical text (64 lowercase hex digits).</summary>
    public string Hash { get; }

    /// <summary>The identity of a model's exits (<see cref="ExitInfo.Macs"/> as costs).</summary>
    public static ModelIdentity From(string name, IReadOnlyList<ExitInfo> exits)
    {
        ArgumentNullException.ThrowIfNull(exits);
        return new ModelIdentity(name, [.. exits.Select(e => e.Name)], [.. exits.Select(e => (double)e.Macs)]);
    }

    /// <summary>The identity of a model's exits (<see cref="ExitInfo.Macs"/> as costs).</summary>
    public static ModelIdentity From(string name, MultiExitModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return From(name, model.Exits);
    }

    /// <summary>How this identity differs from <paramref name="other"/>, one phrase per difference (empty when
    /// equal).</summary>
    public IReadOnlyList<string> Differences(ModelIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var d = new List<string>();
        if (Name != other.Name)
        {
            d.Add($"model name '{Name}' vs '{other.Name}'");
        }

        if (_exitNames.Length != other._exitNames.Length)
        {
            d.Add($"{_exitNames.Length} exits vs {other._exitNames.Length}");
        }

        for (int k = 0; k < Math.Min(_exitNames.Length, other._exitNames.Length); k++)
        {
            if (_exitNames[k] != other._exitNames[k])
            {
                d.Add($"exit {k} named '{_exitNames[k]}' vs '{other._exitNames[k]}'");
            }

            if (!_exitCosts[k].Equals(other._exitCosts[k]))
            {
                d.Add($"exit {k} ('{_exitNames[k]}') cost {Format(_exitCosts[k])} vs {Format(other._exitCosts[k])}");
            }
        }

        return d;
    }

    /// <inheritdoc/>
    public bool Equals(ModelIdentity? other) => other is not null && Hash == other.Hash && Differences(other).Count == 0;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ModelIdentity);

    /// <inheritdoc/>
    public override int GetHashCode() => Hash.GetHashCode(StringComparison.Ordinal);

    /// <summary>E.g. <c>'resnet18' [exit1 @ 1.2E+06, exit2 @ 2.4E+06] (hash 3fa2…)</c>.</summary>
    public override string ToString() =>
        $"'{Name}' [{string.Join(", ", _exitNames.Zip(_exitCosts, (n, c) => $"{n} @ {Format(c)}"))}] (hash {Hash[..12]}…)";

    private static string Format(double c) => c.ToString("G6", CultureInfo.InvariantCulture);

    private static string ComputeHash(string name, string[] names, double[] costs)
    {
        var sb = new StringBuilder("offramp.model/1\n").Append(name).Append('\n').Append(names.Length).Append('\n');
        for (int k = 0; k < names.Length; k++)
        {
            sb.Append(names[k]).Append('\t').Append(costs[k].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
