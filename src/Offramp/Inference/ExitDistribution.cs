namespace Offramp.Inference;

/// <summary>
/// Target exit distributions q = (q_1..q_E), Σ q_k = 1, the share of samples meant to leave at each exit: the input
/// of MSDNet's threshold search (budgeted-inference.md, "Budgeted batch classification", step 1).
/// </summary>
/// <remarks>
/// Computed in float64. The official code works in float32 (<c>torch.FloatTensor</c>), so at an exact boundary
/// ⌊N·q_k⌋ can differ by one from it.
/// </remarks>
public static class ExitDistribution
{
    private static readonly double[] MsdNetP = [.. Enumerable.Range(1, 39).Select(i => i / 20.0)];

    // LeapLabTHU/Dynamic_Perceiver adaptive_inference.py @ d5e7314, generate_distribution, lines 45–48 and 53:
    // p_list[i] = (i+4)/20 and p_list[33−i] = 20/(i+4) for i = 0..16, and only p_list[0..32] is used. That is
    // 0.20, 0.25, …, 1.00 (17 values), then 20/20 = 1.00 again, 20/19, …, 20/5 = 4.00 (16 values); p = 1 appears
    // twice and p_list[33] = 5.0 is never used.
    private static readonly double[] DynPerceiverP =
    [
        .. Enumerable.Range(0, 17).Select(i => (i + 4) / 20.0),
        .. Enumerable.Range(0, 16).Select(j => 20.0 / (20 - j)),
    ];

    // Same file, line 52: k = [0.85, 1, 0.5, 1] for the exits (y_early3, y_att, y_cnn, y_merge).
    private static readonly double[] DynPerceiverK = [0.85, 1, 0.5, 1];

    /// <summary>MSDNet's sweep: p = 1/20, 2/20, …, 39/20 (budgeted-inference.md; kalviny/MSDNet-PyTorch's current
    /// <c>dynamic_evaluate</c> loops to 40/20).</summary>
    public static IReadOnlyList<double> MsdNetPValues => MsdNetP;

    /// <summary>Dyn-Perceiver's 33 values of p, in its order (0.2 … 1.0, 1.0, 20/19 … 4.0).</summary>
    public static IReadOnlyList<double> DynPerceiverPValues => DynPerceiverP;

    /// <summary>Dyn-Perceiver's reshaping factors [0.85, 1, 0.5, 1] for its 4 exits.</summary>
    public static IReadOnlyList<double> DynPerceiverFactors => DynPerceiverK;

    /// <summary>MSDNet's geometric distribution q_k ∝ p^k, k = 1..E, normalised.</summary>
    /// <remarks>p &lt; 1 front-loads the exits (cheap), p &gt; 1 back-loads them (accurate), p = 1 is uniform.
    /// Computed as p^(k − k*) with k* the largest term's k, so no p overflows.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">p is not finite and positive, or <paramref name="exits"/> &lt; 1.</exception>
    public static double[] Geometric(double p, int exits)
    {
        if (!double.IsFinite(p) || p <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "ExitDistribution.Geometric: p must be finite and > 0");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(exits, 1);
        double lnP = Math.Log(p);
        int top = p > 1 ? exits : 1;
        var q = new double[exits];
        for (int k = 1; k <= exits; k++)
        {
            q[k - 1] = Math.Exp((k - top) * lnP);
        }

        return Normalise(q);
    }

    /// <summary>
    /// Dyn-Perceiver's reshaping (adaptive_inference.py @ d5e7314, lines 56–58): for j = 1..E−1 in turn,
    /// q_j ← q_j·f_j, then q_{j+1..E} ← (1 − Σ_{i≤j} q_i)·q_{j+1..E} / Σ_{i&gt;j} q_i. The last factor is never used.
    /// </summary>
    /// <param name="q">A distribution with every q_k &gt; 0 past the first (as <see cref="Geometric"/> gives).</param>
    /// <param name="factors">f_1..f_E, each in [0, 1] (the product stays a distribution).</param>
    /// <exception cref="ArgumentException">The lengths differ, a factor is outside [0, 1], or a tail of q sums to 0.</exception>
    public static double[] Reshape(IReadOnlyList<double> q, IReadOnlyList<double> factors)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(factors);
        if (q.Count != factors.Count || factors.Any(f => !(f is >= 0 and <= 1)))
        {
            throw new ArgumentException(
                $"ExitDistribution.Reshape: {q.Count} shares and {factors.Count} factors; need one factor per exit, each in [0, 1]");
        }

        var r = q.ToArray();
        for (int j = 0; j < r.Length - 1; j++)
        {
            r[j] *= factors[j];
            double head = 0, tail = 0;
            for (int i = 0; i <= j; i++)
            {
                head += r[i];
            }

            for (int i = j + 1; i < r.Length; i++)
            {
                tail += r[i];
            }

            if (!(tail > 0))
            {
                throw new ArgumentException($"ExitDistribution.Reshape: exits after {j} have no share to rescale", nameof(q));
            }

            for (int i = j + 1; i < r.Length; i++)
            {
                r[i] = (1 - head) * r[i] / tail;
            }
        }

        return r;
    }

    /// <summary>Dyn-Perceiver's distribution for p: <see cref="Reshape"/> of <see cref="Geometric"/>(p, E) with
    /// <paramref name="factors"/> (null: <see cref="DynPerceiverFactors"/>, E = 4).</summary>
    /// <exception cref="ArgumentException">As for <see cref="Geometric"/> and <see cref="Reshape"/>.</exception>
    public static double[] DynPerceiver(double p, IReadOnlyList<double>? factors = null)
    {
        factors ??= DynPerceiverK;
        return Reshape(Geometric(p, factors.Count), factors);
    }

    /// <summary>Every sample at exit <paramref name="exit"/> (Dyn-Perceiver's <c>each_exit</c> mode).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exit"/> is not in [0, <paramref name="exits"/>).</exception>
    public static double[] OneHot(int exit, int exits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exits, 1);
        if ((uint)exit >= (uint)exits)
        {
            throw new ArgumentOutOfRangeException(nameof(exit), exit, $"exit outside [0, {exits})");
        }

        var q = new double[exits];
        q[exit] = 1;
        return q;
    }

    private static double[] Normalise(double[] q)
    {
        double s = q.Sum();
        for (int k = 0; k < q.Length; k++)
        {
            q[k] /= s;
        }

        return q;
    }
}
