using System.Globalization;

namespace Offramp.Reports;

/// <summary>
/// An axis range with its tick values and labels. Linear ticks are "nice": 1, 2 or 5 × 10^k apart
/// (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990); log ticks are powers of ten.
/// </summary>
internal sealed record AxisScale(double Min, double Max, double[] Ticks, string[] Labels, bool Log)
{
    private static readonly int[] Mantissas = [1, 2, 5];

    /// <summary>Maps a data value to [0, 1] along the axis (0 at <see cref="Min"/>).</summary>
    public double Fraction(double v) => Log
        ? (Math.Log10(v) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
        : (v - Min) / (Max - Min);

    /// <summary>
    /// Nice linear ticks covering [<paramref name="min"/>, <paramref name="max"/>]: the smallest 1/2/5 × 10^k step
    /// giving at most <paramref name="maxTicks"/> ticks. With <paramref name="extend"/> the axis grows to the
    /// outer ticks (0..1 → 0, 0.2, …, 1; 3..97 → 0, 20, …, 100); without, the range is kept and only ticks
    /// inside it are returned. An empty range is widened by 10% of its value (by 1 around zero).
    /// </summary>
    public static AxisScale Linear(double min, double max, int maxTicks = 7, bool extend = true)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max))
        {
            throw new ArgumentException($"axis range must be finite, got [{min}, {max}]");
        }

        (min, max) = (Math.Min(min, max), Math.Max(min, max));
        if (max - min <= 1e-12 * Math.Max(1, Math.Abs(max)))
        {
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }

        int top = (int)Math.Floor(Math.Log10(max - min));
        for (int e = top - 2; ; e++)
        {
            foreach (int m in Mantissas)
            {
                double step = Pow10(m, e);
                long first = (long)Math.Floor(min / step + 1e-9), last = (long)Math.Ceiling(max / step - 1e-9);
                if (!extend)
                {
                    first = (long)Math.Ceiling(min / step - 1e-9);
                    last = (long)Math.Floor(max / step + 1e-9);
                }

                if (last - first + 1 > Math.Max(2, maxTicks))
                {
                    continue;
                }

                var ticks = new double[last - first + 1];
                for (long k = first; k <= last; k++)
                {
                    ticks[k - first] = Pow10(k * m, e);
                }

                double lo = extend ? ticks[0] : min, hi = extend ? ticks[^1] : max;
                return new AxisScale(lo, hi, ticks, FormatLinear(ticks, e), Log: false);
            }
        }
    }

    /// <summary>
    /// Log-10 ticks: the axis spans whole decades around [<paramref name="min"/>, <paramref name="max"/>] (both
    /// &gt; 0); every decade is a tick (every second or third when there are many), with 2 and 5 added when
    /// the range spans at most two decades.
    /// </summary>
    public static AxisScale Log10(double min, double max)
    {
        if (!(min > 0) || !(max > 0) || !double.IsFinite(min) || !double.IsFinite(max))
        {
            throw new ArgumentException($"a log axis needs a finite range > 0, got [{min}, {max}]");
        }

        (min, max) = (Math.Min(min, max), Math.Max(min, max));
        int lo = (int)Math.Floor(Math.Log10(min) + 1e-9), hi = (int)Math.Ceiling(Math.Log10(max) - 1e-9);
        hi = Math.Max(hi, lo + 1);
        int stride = (hi - lo + 7) / 8;
        var ticks = new List<double>();
        for (int e = lo; e <= hi; e++)
        {
            if ((e - lo) % stride == 0 || e == hi)
            {
                ticks.Add(Pow10(1, e));
            }

            if (hi - lo <= 2 && e < hi)
            {
                ticks.Add(Pow10(2, e));
                ticks.Add(Pow10(5, e));
            }
        }

        return new AxisScale(Pow10(1, lo), Pow10(1, hi), [.. ticks], [.. ticks.Select(FormatLog)], Log: true);
    }

    // m × 10^e as the double nearest the decimal value: 3 × 0.2 gives 0.6, not 0.6000000000000001.
    private static double Pow10(long m, int e) => e >= 0 ? m * Math.Pow(10, e) : m / Math.Pow(10, -e);

    private static string[] FormatLinear(double[] ticks, int e)
    {
        double biggest = ticks.Max(Math.Abs);
        var (unit, suffix) = biggest switch
        {
            >= 1e12 => (1e12, "T"),
            >= 1e9 => (1e9, "G"),
            >= 1e6 => (1e6, "M"),
            >= 1e4 => (1e3, "k"),
            _ => (1.0, ""),
        };
        int decimals = Math.Max(0, -(e - (int)Math.Round(Math.Log10(unit))));
        if (decimals > 6)
        {
            return [.. ticks.Select(t => t == 0 ? "0" : t.ToString("0.##E+0", CultureInfo.InvariantCulture))];
        }

        string format = "F" + decimals.ToString(CultureInfo.InvariantCulture);
        // Zero keeps the common decimals ("0.0", "0.2", …) but drops a unit suffix ("0", "20k", …).
        return [.. ticks.Select(t => t == 0 && suffix.Length > 0
            ? "0"
            : (t / unit).ToString(format, CultureInfo.InvariantCulture) + suffix)];
    }

    private static string FormatLog(double v) => v switch
    {
        >= 1e12 => Trim(v / 1e12) + "T",
        >= 1e9 => Trim(v / 1e9) + "G",
        >= 1e6 => Trim(v / 1e6) + "M",
        >= 1e4 => Trim(v / 1e3) + "k",
        >= 1e-4 => Trim(v),
        _ => v.ToString("0E+0", CultureInfo.InvariantCulture),
    };

    private static string Trim(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
