namespace Offramp.Engine.IO;

/// <summary>
/// Bit-exact conversions between float32 and the 16-bit float formats, matching PyTorch 1.13 on CPU
/// (checked against it by the safetensors fixtures).
/// </summary>
/// <remarks>
/// Written on integer bits rather than through <see cref="Half"/> so that NaN payloads and signalling NaNs
/// behave the same on every .NET version. Widening is exact; narrowing rounds to nearest, ties to even.
/// </remarks>
internal static class FloatBits
{
    /// <summary>IEEE half → float32 bits. Exact; NaNs come out quiet with the payload shifted up (as c10 does).</summary>
    public static uint HalfToSingle(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        uint exp = (uint)(h >> 10) & 0x1F;
        uint mant = (uint)h & 0x3FF;
        if (exp == 0x1F)
        {
            // PyTorch: 0x7C01 (signalling) → 0x7FC02000; infinities keep their sign.
            return mant == 0 ? sign | 0x7F80_0000u : sign | 0x7FC0_0000u | (mant << 13);
        }

        if (exp == 0)
        {
            if (mant == 0)
            {
                return sign;
            }

            // Subnormal half (mant · 2^-24): normalise so the leading 1 lands on bit 10.
            uint e = 113;
            while ((mant & 0x400) == 0)
            {
                mant <<= 1;
                e--;
            }

            return sign | (e << 23) | ((mant & 0x3FF) << 13);
        }

        return sign | ((exp + 112) << 23) | (mant << 13);
    }

    /// <summary>bfloat16 → float32 bits: the upper half of a float32, so widening is a shift (payloads kept).</summary>
    public static uint BFloat16ToSingle(ushort b) => (uint)b << 16;

    /// <summary>
    /// float32 bits → IEEE half, round to nearest even; overflow gives ±inf, NaN gives the quiet NaN
    /// <c>0x7E00</c> with the sign kept (PyTorch's <c>fp16_ieee_from_fp32_value</c>).
    /// </summary>
    public static ushort SingleToHalf(uint f)
    {
        uint sign = (f >> 16) & 0x8000;
        uint abs = f & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000)
        {
            return (ushort)(sign | 0x7E00);
        }

        if (abs >= 0x477F_F000)
        {
            // 65520 is halfway between 65504 (odd mantissa) and 65536: ties-to-even rounds it to infinity.
            return (ushort)(sign | 0x7C00);
        }

        if (abs < 0x3880_0000)
        {
            // Below the smallest normal half (2^-14): result is a subnormal q · 2^-24 (or zero; 2^-25 ties to 0).
            if (abs <= 0x3300_0000)
            {
                return (ushort)sign;
            }

            int e = (int)(abs >> 23);
            uint m = (abs & 0x7F_FFFF) | 0x80_0000;
            int shift = 126 - e; // 14..24
            return (ushort)(sign | RoundShift(m, shift));
        }

        // Normal: re-bias the exponent (127 → 15), then drop 13 mantissa bits; a carry moves into the exponent.
        return (ushort)(sign | RoundShift(abs - 0x3800_0000, 13));
    }

    /// <summary>
    /// float32 bits → bfloat16, round to nearest even (c10's <c>round_to_nearest_even</c>); NaN gives the quiet
    /// NaN <c>0x7FC0</c> with the sign kept.
    /// </summary>
    /// <remarks>PyTorch itself writes <c>0x7FC0</c> from its scalar path and <c>0xFFFF</c> from its vector one.</remarks>
    public static ushort SingleToBFloat16(uint f)
    {
        if ((f & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            return (ushort)(((f >> 16) & 0x8000) | 0x7FC0);
        }

        uint bias = 0x7FFF + ((f >> 16) & 1);
        return (ushort)((f + bias) >> 16);
    }

    // m >> shift, rounded to nearest with ties to even.
    private static uint RoundShift(uint m, int shift)
    {
        uint q = m >> shift;
        uint rem = m & ((1u << shift) - 1);
        uint half = 1u << (shift - 1);
        return rem > half || (rem == half && (q & 1) != 0) ? q + 1 : q;
    }
}
