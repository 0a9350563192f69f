using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Copies of short runs of floats (a 7- or 14-wide feature-map row), where a library call or a scalar tail costs more
/// than the work: whole Vector512 blocks, then for the rest one overlapping Vector512 (runs of 16+) or one AVX-512
/// masked load/store (masked lanes are neither read nor written, so nothing past the run is touched). Without AVX-512,
/// Vector256 blocks and a scalar tail.
/// </summary>
internal static unsafe class ShortRuns
{
    /// <summary>dst[0 .. n) = src[0 .. n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* dst, float* src, int n)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 16 <= n; i += 16)
            {
                Vector512.Store(Vector512.Load(src + i), dst + i);
            }

            if (i < n && n >= 16)
            {
                // The last 16 again, overlapping: a plain store is cheaper than a masked one and rewrites equal values.
                Vector512.Store(Vector512.Load(src + n - 16), dst + n - 16);
            }
            else if (i < n)
            {
                var m = Tail(n - i);
                Avx512F.MaskStore(dst + i, m, Avx512F.MaskLoad(src + i, m, Vector512<float>.Zero));
            }

            return;
        }

        for (; i + 8 <= n; i += 8)
        {
            Vector256.Store(Vector256.Load(src + i), dst + i);
        }

        for (; i < n; i++)
        {
            dst[i] = src[i];
        }
    }

    // A float mask with lanes [0, k) set (k ≤ 0: none; k ≥ 16: all): the masked loads and stores of row tails.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tail(int k) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(k)).AsSingle();
}
