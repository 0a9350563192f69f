namespace Offramp.Engine.Kernels;

/// <summary>
/// A binary element-wise operation in the operator-struct style of System.Numerics.Tensors: one struct per op,
/// with the three span forms a broadcasting driver needs (vector ∘ vector, vector ∘ scalar, scalar ∘ vector).
/// Implementations forward to <see cref="TensorPrimitives"/>, which vectorises each form.
/// </summary>
internal interface IBinaryOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct AddOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(y, x, d);
}

internal readonly struct SubOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
}

internal readonly struct MulOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(y, x, d);
}

internal readonly struct DivOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
    public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
    public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
}

/// <summary>Drives an <see cref="IBinaryOp"/> over two broadcast operands.</summary>
internal static unsafe class Broadcast
{
    // a: aShape, b: bShape, d: dShape = broadcast(aShape, bShape); all row-major contiguous.
    // The output is walked as (outer, inner) where `inner` is the longest run of trailing dims over which each
    // operand is either contiguous or constant (broadcast); each run is one vectorised TensorPrimitives call.
    public static void Binary<T, TOp>(ReadOnlySpan<T> a, int[] aShape, ReadOnlySpan<T> b, int[] bShape, Span<T> d, int[] dShape)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : IBinaryOp
    {
        if (d.Length == 0)
        {
            return;
        }

        if ((a.Length == d.Length || a.Length == 1) && (b.Length == d.Length || b.Length == 1)
            && (a.Length == d.Length || b.Length == d.Length))
        {
            Flat<T, TOp>(a, b, d);
            return;
        }

        int rank = dShape.Length;
        var sa = Shape.BroadcastStrides(aShape, dShape);
        var sb = Shape.BroadcastStrides(bShape, dShape);

        // Find the inner block: trailing dims where each operand keeps one mode (contiguous or constant).
        // Size-1 dims are transparent; the mode is fixed by the innermost dim of size > 1.
        bool? aConst = null, bConst = null;
        int inner = 1;
        int split = rank;
        for (int i = rank - 1; i >= 0; i--)
        {
            int n = dShape[i];
            if (n == 1)
            {
                split = i;
                continue;
            }

            aConst ??= sa[i] == 0;
            bConst ??= sb[i] == 0;
            bool aOk = aConst.Value ? sa[i] == 0 : sa[i] == inner;
            bool bOk = bConst.Value ? sb[i] == 0 : sb[i] == inner;
            if (!aOk || !bOk)
            {
                break;
            }

            inner *= n;
            split = i;
        }

        int outer = d.Length / inner;
        Span<int> idx = stackalloc int[Math.Max(split, 1)];
        idx.Clear();
        int oa = 0, ob = 0;
        for (int o = 0; o < outer; o++)
        {
            var dd = d.Slice(o * inner, inner);
            if (aConst == true && bConst == true)
            {
                TOp.Apply(a.Slice(oa, 1), b.Slice(ob, 1), dd[..1]);
                dd.Fill(dd[0]);
            }
            else if (aConst == true)
            {
                TOp.Apply(a[oa], b.Slice(ob, inner), dd);
            }
            else if (bConst == true)
            {
                TOp.Apply(a.Slice(oa, inner), b[ob], dd);
            }
            else
            {
                TOp.Apply(a.Slice(oa, inner), b.Slice(ob, inner), dd);
            }

            // Advance the odometer over the outer dims [0, split).
            for (int i = split - 1; i >= 0; i--)
            {
                if (++idx[i] < dShape[i])
                {
                    oa += sa[i];
                    ob += sb[i];
                    break;
                }

                oa -= sa[i] * (dShape[i] - 1);
                ob -= sb[i] * (dShape[i] - 1);
                idx[i] = 0;
            }
        }
    }

    // a, b: (N) or (1) (a scalar; not both unless N = 1), d: (N). Long spans run in fixed chunks on the kernel threads
    // (Parallelism.ForChunks): each element is the same IEEE operation whatever the cuts, so any thread count
    // gives the same bits.
    private static void Flat<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : IBinaryOp
    {
        if (d.Length < 2 * Parallelism.ElementGrain)
        {
            FlatRange<T, TOp>(a, b, d);
            return;
        }

        fixed (T* pa = a, pb = b, pd = d)
        {
            nint ia = (nint)pa, ib = (nint)pb, id = (nint)pd;
            int na = a.Length, nb = b.Length;
            Parallelism.ForChunks(d.Length, (s, n) => FlatRange<T, TOp>(
                na == 1 ? new ReadOnlySpan<T>((T*)ia, 1) : new ReadOnlySpan<T>((T*)ia + s, n),
                nb == 1 ? new ReadOnlySpan<T>((T*)ib, 1) : new ReadOnlySpan<T>((T*)ib + s, n),
                new Span<T>((T*)id + s, n)));
        }
    }

    private static void FlatRange<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : IBinaryOp
    {
        if (a.Length == d.Length && b.Length == d.Length)
        {
            TOp.Apply(a, b, d);
        }
        else if (a.Length == d.Length)
        {
            TOp.Apply(a, b[0], d);
        }
        else
        {
            TOp.Apply(a[0], b, d);
        }
    }
}
