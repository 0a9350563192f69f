using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>
/// The error function, which .NET lacks. <see cref="Exact(double)"/>/<see cref="Complement(double)"/> are
/// W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations for the error function",
/// Math. Comp. 23 (1969) 631-638), with the interval split and coefficients of his SPECFUN routine CALERF:
/// near machine precision in double, so float64 gradchecks of GELU see no approximation error.
/// <see cref="Fast(float)"/> and its vector forms are the float32 kernel: a [13/8] rational in x on [-4, 4]
/// (the approximation Eigen and XLA use), within 5 ulp (3.3e-7 absolute) of the true value.
/// </summary>
internal static class Erf
{
    private const double Thresh = 0.46875;    // |x| ≤ Thresh: erf by its own rational; above: 1 − erfc
    private const double XSmall = 1.11e-16;   // below: erf(x) = x·(2/√π) to machine precision
    private const double XBig = 26.543;       // above: erfc(x) underflows to 0 in double
    private const double InvSqrtPi = 0.56418958354775628695;

    // erf(x) ≈ x·P(x²)/Q(x²) for |x| ≤ 0.46875.
    private static ReadOnlySpan<double> A => [
        3.16112374387056560, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3,
        1.85777706184603153e-1];

    private static ReadOnlySpan<double> B => [
        2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];

    // erfc(x) ≈ exp(−x²)·P(x)/Q(x) for 0.46875 < x ≤ 4.
    private static ReadOnlySpan<double> C => [
        5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2,
        8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
        2.15311535474403846e-8];

    private static ReadOnlySpan<double> D => [
        1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
        3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];

    // erfc(x) ≈ exp(−x²)/x·(1/√π + P(1/x²)/Q(1/x²)/x²) for x > 4.
    private static ReadOnlySpan<double> P => [
        3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
        6.58749161529837803e-4, 1.63153871373020978e-2];

    private static ReadOnlySpan<double> Q => [
        2.56852019228982242, 1.87295284992346047, 5.27905102951428412e-1, 6.05183413124413191e-2,
        2.33520497626869185e-3];

    /// <summary>erf(x) in double precision (relative error ~1e-16).</summary>
    public static double Exact(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double y = Math.Abs(x);
        if (y <= Thresh)
        {
            return SmallErf(x, y);
        }

        double r = (0.5 - ErfcPositive(y)) + 0.5;
        return x < 0 ? -r : r;
    }

    /// <summary>erfc(x) = 1 − erf(x) in double precision, accurate in the far tail (no cancellation).</summary>
    public static double Complement(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double y = Math.Abs(x);
        if (y <= Thresh)
        {
            return 1.0 - SmallErf(x, y);
        }

        double r = ErfcPositive(y);
        return x < 0 ? 2.0 - r : r;
    }

    private static double SmallErf(double x, double y)
    {
        double ysq = y > XSmall ? y * y : 0.0;
        double num = A[4] * ysq, den = ysq;
        for (int i = 0; i < 3; i++)
        {
            num = (num + A[i]) * ysq;
            den = (den + B[i]) * ysq;
        }

        return x * (num + A[3]) / (den + B[3]);
    }

    // erfc(y) for y > 0.46875.
    private static double ErfcPositive(double y)
    {
        double r;
        if (y <= 4.0)
        {
            double num = C[8] * y, den = y;
            for (int i = 0; i < 7; i++)
            {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }

            r = (num + C[7]) / (den + D[7]);
        }
        else
        {
            if (y >= XBig)
            {
                return 0.0;
            }

            double ysq = 1.0 / (y * y);
            double num = P[5] * ysq, den = ysq;
            for (int i = 0; i < 4; i++)
            {
                num = (num + P[i]) * ysq;
                den = (den + Q[i]) * ysq;
            }

            r = ysq * (num + P[4]) / (den + Q[4]);
            r = (InvSqrtPi - r) / y;
        }

        // exp(−y²) without the rounding error of y² itself: y = s + (y − s) with s = y rounded down to 1/16,
        // so s² is exact and y² − s² = (y − s)(y + s) is small.
        double s = Math.Truncate(y * 16.0) / 16.0;
        double del = (y - s) * (y + s);
        return Math.Exp(-s * s) * Math.Exp(-del) * r;
    }

    // Fast float32 erf: erf(x) ≈ x·α(x²)/β(x²) with x clamped to [−4, 4] (erf(±4) rounds to ±1 in float32).
    private const float A1 = -1.60960333262415e-02f, A3 = -2.95459980854025e-03f, A5 = -7.34990630326855e-04f;
    private const float A7 = -5.69250639462346e-05f, A9 = -2.10102402082508e-06f, A11 = 2.77068142495902e-08f;
    private const float A13 = -2.72614225801306e-10f;
    private const float B0 = -1.42647390514189e-02f, B2 = -7.37332916720468e-03f, B4 = -1.68282697438203e-03f;
    private const float B6 = -2.13374055278905e-04f, B8 = -1.45660718464996e-05f;

    /// <summary>Fast float32 erf; the scalar twin of the vector forms (same operations, same order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fast(float x)
    {
        float v = Math.Clamp(x, -4f, 4f);
        float x2 = v * v;
        float p = MathF.FusedMultiplyAdd(x2, A13, A11);
        p = MathF.FusedMultiplyAdd(x2, p, A9);
        p = MathF.FusedMultiplyAdd(x2, p, A7);
        p = MathF.FusedMultiplyAdd(x2, p, A5);
        p = MathF.FusedMultiplyAdd(x2, p, A3);
        p = MathF.FusedMultiplyAdd(x2, p, A1);
        float q = MathF.FusedMultiplyAdd(x2, B8, B6);
        q = MathF.FusedMultiplyAdd(x2, q, B4);
        q = MathF.FusedMultiplyAdd(x2, q, B2);
        q = MathF.FusedMultiplyAdd(x2, q, B0);
        return Math.Clamp(v * p / q, -1f, 1f);
    }

    /// <summary>Fast float32 erf over 8 lanes (NaN lanes stay NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fast(Vector256<float> x)
    {
        var v = Vector256.Clamp(x, Vector256.Create(-4f), Vector256.Create(4f));
        var x2 = v * v;
        var p = Vector256.FusedMultiplyAdd(x2, Vector256.Create(A13), Vector256.Create(A11));
        p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A9));
        p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A7));
        p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A5));
        p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A3));
        p = Vector256.FusedMultiplyAdd(x2, p, Vector256.Create(A1));
        var q = Vector256.FusedMultiplyAdd(x2, Vector256.Create(B8), Vector256.Create(B6));
        q = Vector256.FusedMultiplyAdd(x2, q, Vector256.Create(B4));
        q = Vector256.FusedMultiplyAdd(x2, q, Vector256.Create(B2));
        q = Vector256.FusedMultiplyAdd(x2, q, Vector256.Create(B0));
        return Vector256.Clamp(v * p / q, Vector256.Create(-1f), Vector256.Create(1f));
    }

    /// <summary>Fast float32 erf over 16 lanes (NaN lanes stay NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fast(Vector512<float> x)
    {
        var v = Vector512.Clamp(x, Vector512.Create(-4f), Vector512.Create(4f));
        var x2 = v * v;
        var p = Vector512.FusedMultiplyAdd(x2, Vector512.Create(A13), Vector512.Create(A11));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A9));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A7));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A5));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A3));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A1));
        var q = Vector512.FusedMultiplyAdd(x2, Vector512.Create(B8), Vector512.Create(B6));
        q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B4));
        q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B2));
        q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B0));
        return Vector512.Clamp(v * p / q, Vector512.Create(-1f), Vector512.Create(1f));
    }
}
