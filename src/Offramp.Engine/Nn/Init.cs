namespace Offramp.Engine.Nn;

/// <summary>Which fan <see cref="Init.KaimingUniform"/> and <see cref="Init.KaimingNormal"/> preserve.</summary>
public enum FanMode
{
    /// <summary>Preserve the variance of activations in the forward pass (PyTorch's default).</summary>
    FanIn,

    /// <summary>Preserve the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// Weight initialisations of <c>torch.nn.init</c> (and timm's <c>trunc_normal_</c>), filling a tensor in place
/// from an explicit <see cref="Rng"/>: one draw per element in row-major order, so a seed decides every value.
/// </summary>
/// <remarks>
/// Each method returns its tensor and works for float32 and float64. The fills are not recorded by autograd.
/// Values follow PyTorch's distributions, not its random streams (the generators differ).
/// </remarks>
public static class Init
{
    /// <summary>
    /// (fan_in, fan_out) as <c>_calculate_fan_in_and_fan_out</c>: for a (O, I, k…) weight,
    /// fan_in = I·∏k and fan_out = O·∏k.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public static (int FanIn, int FanOut) FanInAndFanOut(Tensor t)
    {
        if (t.Rank < 2)
        {
            throw new ArgumentException($"fan in and fan out cannot be computed for a tensor of shape {Shape.Format(t.Shape)} (fewer than 2 dims)");
        }

        int receptive = 1;
        for (int i = 2; i < t.Rank; i++)
        {
            receptive *= t.Shape[i];
        }

        return (t.Shape[1] * receptive, t.Shape[0] * receptive);
    }

    /// <summary>
    /// The recommended gain for a nonlinearity (<c>calculate_gain</c>): linear/conv/sigmoid 1, tanh 5/3,
    /// relu √2, leaky_relu √(2/(1+slope²)) (slope defaults to 0.01), selu 3/4.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown nonlinearity.</exception>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d"
            or "conv_transpose3d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"unsupported nonlinearity '{nonlinearity}'", nameof(nonlinearity)),
    };

    /// <summary>Fills with U(<paramref name="low"/>, <paramref name="high"/>) (<c>uniform_</c>).</summary>
    public static Tensor Uniform(Tensor t, Rng rng, double low = 0.0, double high = 1.0)
    {
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, low + (high - low) * rng.NextDouble());
        }

        return t;
    }

    /// <summary>Fills with N(<paramref name="mean"/>, <paramref name="std"/>²) (<c>normal_</c>).</summary>
    public static Tensor Normal(Tensor t, Rng rng, double mean = 0.0, double std = 1.0)
    {
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, mean + std * rng.NextNormal());
        }

        return t;
    }

    /// <summary>Fills with <paramref name="value"/> (<c>constant_</c>).</summary>
    public static Tensor Constant(Tensor t, double value) => t.Fill(value);

    /// <summary>Fills with 0 (<c>zeros_</c>).</summary>
    public static Tensor Zeros(Tensor t) => t.Fill(0.0);

    /// <summary>Fills with 1 (<c>ones_</c>).</summary>
    public static Tensor Ones(Tensor t) => t.Fill(1.0);

    /// <summary>
    /// He uniform (<c>kaiming_uniform_</c>): U(−b, b) with b = gain·√(3/fan), gain from
    /// <paramref name="nonlinearity"/> with negative slope <paramref name="a"/>.
    /// </summary>
    /// <remarks>PyTorch's Linear and Conv default is <c>kaiming_uniform_(w, a=√5)</c>, i.e. b = 1/√fan_in.</remarks>
    /// <exception cref="ArgumentException">Fewer than 2 dims, or an unknown nonlinearity.</exception>
    public static Tensor KaimingUniform(Tensor t, Rng rng, double a = 0.0, FanMode mode = FanMode.FanIn,
        string nonlinearity = "leaky_relu")
    {
        double std = KaimingStd(t, a, mode, nonlinearity);
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(t, rng, -bound, bound);
    }

    /// <summary>He normal (<c>kaiming_normal_</c>): N(0, std²) with std = gain/√fan.</summary>
    /// <remarks>torchvision's ResNet uses <c>kaiming_normal_(w, mode="fan_out", nonlinearity="relu")</c>.</remarks>
    /// <exception cref="ArgumentException">Fewer than 2 dims, or an unknown nonlinearity.</exception>
    public static Tensor KaimingNormal(Tensor t, Rng rng, double a = 0.0, FanMode mode = FanMode.FanIn,
        string nonlinearity = "leaky_relu") => Normal(t, rng, 0.0, KaimingStd(t, a, mode, nonlinearity));

    private static double KaimingStd(Tensor t, double a, FanMode mode, string nonlinearity)
    {
        var (fanIn, fanOut) = FanInAndFanOut(t);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        double gain = CalculateGain(nonlinearity, a);
        return fan == 0 ? 0.0 : gain / Math.Sqrt(fan);
    }

    /// <summary>Glorot uniform (<c>xavier_uniform_</c>): U(−b, b), b = gain·√(6/(fan_in+fan_out)).</summary>
    /// <exception cref="ArgumentException">Fewer than 2 dims.</exception>
    public static Tensor XavierUniform(Tensor t, Rng rng, double gain = 1.0)
    {
        var (fanIn, fanOut) = FanInAndFanOut(t);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(t, rng, -bound, bound);
    }

    /// <summary>Glorot normal (<c>xavier_normal_</c>): N(0, std²), std = gain·√(2/(fan_in+fan_out)).</summary>
    /// <exception cref="ArgumentException">Fewer than 2 dims.</exception>
    public static Tensor XavierNormal(Tensor t, Rng rng, double gain = 1.0)
    {
        var (fanIn, fanOut) = FanInAndFanOut(t);
        return Normal(t, rng, 0.0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
    }

    /// <summary>
    /// Truncated normal (timm's and PyTorch's <c>trunc_normal_</c>): N(mean, std²) restricted to [a, b], drawn
    /// by inverting the CDF — u ~ U(Φ(α), Φ(β)) with α = (a−mean)/std, β = (b−mean)/std, then
    /// x = mean + std·Φ⁻¹(u), clamped to [a, b]. Note a and b are absolute bounds, not multiples of std.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="std"/> ≤ 0 or <paramref name="a"/> ≥ <paramref name="b"/>.</exception>
    public static Tensor TruncNormal(Tensor t, Rng rng, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0)
    {
        if (!(std > 0) || !(a < b))
        {
            throw new ArgumentException($"trunc_normal_ needs std > 0 and a < b (got std={std}, a={a}, b={b})");
        }

        double lo = NormalCdf((a - mean) / std), hi = NormalCdf((b - mean) / std);
        for (int i = 0; i < t.Numel; i++)
        {
            double u = lo + (hi - lo) * rng.NextDouble();
            double x = mean + std * NormalQuantile(u);
            t.SetFlat(i, Math.Clamp(x, a, b));
        }

        return t;
    }

    /// <summary>
    /// PyTorch's default Linear/Conv initialisation (<c>reset_parameters</c>): weight by
    /// <c>kaiming_uniform_(a=√5)</c> (U(±1/√fan_in)), then bias by U(±1/√fan_in) when fan_in &gt; 0.
    /// </summary>
    public static void DefaultLinearOrConv(Tensor weight, Tensor? bias, Rng rng)
    {
        // PyTorch: init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        KaimingUniform(weight, rng, a: Math.Sqrt(5.0));
        if (bias is not null)
        {
            var (fanIn, _) = FanInAndFanOut(weight);
            double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0.0;
            Uniform(bias, rng, -bound, bound);
        }
    }

    /// <summary>Standard normal CDF Φ(x) = erfc(−x/√2)/2.</summary>
    internal static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2.0));

    /// <summary>
    /// erfc by the Chebyshev fit of Numerical Recipes (<c>erfcc</c>, fractional error below 1.2e-7 everywhere):
    /// ample for sampling bounds.
    /// </summary>
    internal static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double ans = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2.0 - ans;
    }

    /// <summary>
    /// Standard normal quantile Φ⁻¹(p) by Acklam's rational approximation (relative error below 1.2e-9);
    /// −∞ at 0 and +∞ at 1.
    /// </summary>
    internal static double NormalQuantile(double p)
    {
        if (p <= 0)
        {
            return double.NegativeInfinity;
        }

        if (p >= 1)
        {
            return double.PositiveInfinity;
        }

        const double pLow = 0.02425;
        if (p < pLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return TailQuantile(q);
        }

        if (p > 1 - pLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -TailQuantile(q);
        }

        double r = p - 0.5, s = r * r;
        return (((((-3.969683028665376e+01 * s + 2.209460984245205e+02) * s - 2.759285104469687e+02) * s
                + 1.383577518672690e+02) * s - 3.066479806614716e+01) * s + 2.506628277459239e+00) * r
            / (((((-5.447609879822406e+01 * s + 1.615858368580409e+02) * s - 1.556989798598866e+02) * s
                + 6.680131188771972e+01) * s - 1.328068155288572e+01) * s + 1);
    }

    private static double TailQuantile(double q) =>
        (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
            - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
        / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
            + 3.754408661907416e+00) * q + 1);
}
