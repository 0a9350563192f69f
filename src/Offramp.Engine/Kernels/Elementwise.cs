using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Offramp.Engine.Kernels;

/// <summary>The widest SIMD registers a float32 fast kernel may use. Tests force the narrower fallbacks.</summary>
internal enum SimdWidth
{
    /// <summary>Scalar form only.</summary>
    Scalar = 0,

    /// <summary>Vector256 blocks, then scalar.</summary>
    V256 = 256,

    /// <summary>Vector512 blocks, then Vector256, then scalar (the default when the hardware has them).</summary>
    V512 = 512,
}

/// <summary>
/// A unary element-wise op in the operator-struct style of System.Numerics.Tensors. A struct instance may carry
/// parameters (ELU's alpha, clamp bounds); the JIT specialises the drivers per struct, so calls inline.
/// </summary>
internal interface IUnaryOp
{
    /// <summary>
    /// The scalar meaning in <typeparamref name="T"/>: the float64 path, and the oracle (reference twin) of the
    /// float32 fast forms. Ops without an elementary closed form (erf) compute in double and round.
    /// </summary>
    T Reference<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// A unary op with a float32 fast path. The vector forms and the scalar form (used for the tail) evaluate the
/// same formula lane by lane, so a result never depends on an element's position.
/// </summary>
internal interface IFastUnaryOp : IUnaryOp
{
    float Fast(float x);

    Vector256<float> Fast(Vector256<float> x);

    Vector512<float> Fast(Vector512<float> x);
}

/// <summary>A binary element-wise op over two equally long spans (backward rules: (x, grad) → dx).</summary>
internal interface IMapOp
{
    /// <summary>The scalar meaning; see <see cref="IUnaryOp.Reference{T}(T)"/>.</summary>
    T Reference<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A binary map op with a float32 fast path; see <see cref="IFastUnaryOp"/>.</summary>
internal interface IFastMapOp : IMapOp
{
    float Fast(float a, float b);

    Vector256<float> Fast(Vector256<float> a, Vector256<float> b);

    Vector512<float> Fast(Vector512<float> a, Vector512<float> b);
}

/// <summary>A unary op that <see cref="TensorPrimitives"/> already vectorises, for both element types.</summary>
internal interface ISpanUnaryOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// Drivers of the float32 fast forms. Lane layout: element i of the span is lane i mod W of block i / W; the
/// loop takes full Vector512 blocks (16 floats), then Vector256 blocks (8 floats; at most one after the
/// Vector512 loop), then the last 0..7 elements one by one through the scalar form, which evaluates the same
/// formula. A narrower <see cref="SimdWidth"/> skips the wider loops. Unaligned loads/stores; <c>d</c> may be
/// exactly <c>x</c> (in place) but must not partially overlap it.
/// Long spans are cut into fixed chunks (<see cref="Parallelism.ForChunks"/>, multiples of 64 elements) run on
/// <see cref="Parallelism.Threads"/> threads; as the chunk cuts depend only on the length and each element is the
/// same formula of its own inputs, the result does not depend on the thread count.
/// </summary>
internal static unsafe class Elementwise
{
    /// <summary>The width used when a caller does not force one.</summary>
    public static SimdWidth Best =>
        Vector512.IsHardwareAccelerated ? SimdWidth.V512 : Vector256.IsHardwareAccelerated ? SimdWidth.V256 : SimdWidth.Scalar;

    // x: (N) → d: (N); d[i] = op(x[i]).
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> d, TOp op, SimdWidth width)
        where TOp : struct, IFastUnaryOp
    {
        Debug.Assert(x.Length == d.Length);
        if (d.Length < 2 * Parallelism.ElementGrain)
        {
            MapSerial(x, d, op, width);
            return;
        }

        fixed (float* px = x, pd = d)
        {
            nint ix = (nint)px, id = (nint)pd;
            Parallelism.ForChunks(d.Length, (s, n) =>
                MapSerial(new ReadOnlySpan<float>((float*)ix + s, n), new Span<float>((float*)id + s, n), op, width));
        }
    }

    // One thread's pass of Map at the best width (the GEMM's tile epilogue applies an activation with it).
    internal static void MapSerialBest<TOp>(ReadOnlySpan<float> x, Span<float> d, TOp op)
        where TOp : struct, IFastUnaryOp => MapSerial(x, d, op, Best);

    private static void MapSerial<TOp>(ReadOnlySpan<float> x, Span<float> d, TOp op, SimdWidth width)
        where TOp : struct, IFastUnaryOp
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dr = ref MemoryMarshal.GetReference(d);
        if (width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                op.Fast(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (width >= SimdWidth.V256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                op.Fast(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dr, i) = op.Fast(Unsafe.Add(ref xr, i));
        }
    }

    /// <inheritdoc cref="Map{TOp}(ReadOnlySpan{float}, Span{float}, TOp, SimdWidth)"/>
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> d, TOp op)
        where TOp : struct, IFastUnaryOp => Map(x, d, op, Best);

    // a: (N), b: (N) → d: (N); d[i] = op(a[i], b[i]).
    public static void Map<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d, TOp op, SimdWidth width)
        where TOp : struct, IFastMapOp
    {
        Debug.Assert(a.Length == d.Length && b.Length == d.Length);
        if (d.Length < 2 * Parallelism.ElementGrain)
        {
            MapSerial(a, b, d, op, width);
            return;
        }

        fixed (float* pa = a, pb = b, pd = d)
        {
            nint ia = (nint)pa, ib = (nint)pb, id = (nint)pd;
            Parallelism.ForChunks(d.Length, (s, n) => MapSerial(new ReadOnlySpan<float>((float*)ia + s, n),
                new ReadOnlySpan<float>((float*)ib + s, n), new Span<float>((float*)id + s, n), op, width));
        }
    }

    private static void MapSerial<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d, TOp op, SimdWidth width)
        where TOp : struct, IFastMapOp
    {
        int n = d.Length, i = 0;
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float dr = ref MemoryMarshal.GetReference(d);
        if (width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var r = op.Fast(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i));
                r.StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (width >= SimdWidth.V256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var r = op.Fast(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i));
                r.StoreUnsafe(ref dr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dr, i) = op.Fast(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
        }
    }

    /// <inheritdoc cref="Map{TOp}(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, TOp, SimdWidth)"/>
    public static void Map<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d, TOp op)
        where TOp : struct, IFastMapOp => Map(a, b, d, op, Best);
}
