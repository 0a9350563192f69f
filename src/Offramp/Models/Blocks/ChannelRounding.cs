namespace Offramp.Models.Blocks;

/// <summary>Channel-count rounding shared by torchvision's MobileNets and RegNets.</summary>
public static class ChannelRounding
{
    /// <summary>
    /// torchvision.models._utils._make_divisible (from the TF MobileNet code): <paramref name="v"/> rounded to the
    /// nearest multiple of <paramref name="divisor"/>, at least <paramref name="minValue"/> (default: the divisor),
    /// and never more than 10% below <paramref name="v"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="divisor"/> is not positive.</exception>
    public static int MakeDivisible(double v, int divisor, int? minValue = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisor);
        int min = minValue ?? divisor;
        // Python: max(min_value, int(v + divisor / 2) // divisor * divisor); int() truncates toward zero.
        int newV = Math.Max(min, (int)(v + divisor / 2.0) / divisor * divisor);
        if (newV < 0.9 * v)
        {
            newV += divisor;
        }

        return newV;
    }
}
