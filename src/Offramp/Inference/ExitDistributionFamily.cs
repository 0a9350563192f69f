namespace Offramp.Inference;

/// <summary>
/// A one-parameter family of exit distributions q(p) and the p values its paper sweeps: what
/// <see cref="ThresholdCalibrator"/> searches when it traces a curve or meets a budget.
/// </summary>
public sealed class ExitDistributionFamily
{
    private readonly Func<double, double[]> _generate;
    private readonly double[] _sweep;

    private ExitDistributionFamily(string name, int exits, IReadOnlyList<double> sweep, Func<double, double[]> generate)
    {
        Name = name;
        Exits = exits;
        _sweep = [.. sweep];
        _generate = generate;
    }

    /// <summary>"msdnet" or "dyn_perceiver".</summary>
    public string Name { get; }

    /// <summary>Number of exits E of the distributions.</summary>
    public int Exits { get; }

    /// <summary>The p values of the paper's sweep, in its order (one curve point each).</summary>
    public IReadOnlyList<double> SweepPValues => _sweep;

    /// <summary>MSDNet: q_k ∝ p^k, swept over p = 1/20..39/20 (<see cref="ExitDistribution.Geometric"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exits"/> &lt; 1.</exception>
    public static ExitDistributionFamily MsdNet(int exits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exits, 1);
        return new("msdnet", exits, ExitDistribution.MsdNetPValues, p => ExitDistribution.Geometric(p, exits));
    }

    /// <summary>Dyn-Perceiver: q_k ∝ p^k reshaped by per-exit factors, swept over its 33 p values
    /// (<see cref="ExitDistribution.DynPerceiver"/>).</summary>
    /// <param name="factors">One factor per exit in [0, 1]; null for Dyn-Perceiver's own [0.85, 1, 0.5, 1] (4 exits).</param>
    /// <exception cref="ArgumentException">No factors, or a factor outside [0, 1].</exception>
    public static ExitDistributionFamily DynPerceiver(IReadOnlyList<double>? factors = null)
    {
        double[] f = [.. factors ?? ExitDistribution.DynPerceiverFactors];
        if (f.Length == 0 || f.Any(x => !(x is >= 0 and <= 1)))
        {
            throw new ArgumentException("ExitDistributionFamily.DynPerceiver: need one factor per exit, each in [0, 1]", nameof(factors));
        }

        return new("dyn_perceiver", f.Length, ExitDistribution.DynPerceiverPValues, p => ExitDistribution.DynPerceiver(p, f));
    }

    /// <summary>The family's distribution for p.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p is not finite and positive.</exception>
    public double[] Generate(double p) => _generate(p);

    /// <summary>The family's name and size, e.g. <c>msdnet (4 exits)</c>.</summary>
    public override string ToString() => $"{Name} ({Exits} exits)";
}
