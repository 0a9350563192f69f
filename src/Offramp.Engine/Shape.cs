using System.Runtime.CompilerServices;

namespace Offramp.Engine;

/// <summary>Shape arithmetic shared by tensor ops: element counts, strides, axis normalisation, broadcasting.</summary>
public static class Shape
{
    /// <summary>Number of elements of a shape (1 for a scalar shape <c>[]</c>).</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the count overflows <see cref="int"/>.</exception>
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"negative dimension in shape {Format(shape)}");
            }

            n *= d;
            if (n > int.MaxValue)
            {
                throw new ArgumentException($"shape {Format(shape)} has more than {int.MaxValue} elements");
            }
        }

        return (int)n;
    }

    /// <summary>Row-major (C-contiguous) strides of a shape, in elements.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }

        return s;
    }

    /// <summary>Formats a shape as PyTorch prints it: <c>(2, 3, 4)</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 1)
        {
            return $"({shape[0]},)";
        }

        return "(" + string.Join(", ", shape.ToArray()) + ")";
    }

    /// <summary>Maps a possibly negative axis to <c>[0, rank)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside <c>[-rank, rank)</c>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NormAxis(int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)Math.Max(rank, 1) || (rank == 0 && a != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for a tensor of rank {rank}");
        }

        return a;
    }

    /// <summary>The broadcast shape of two shapes under NumPy/PyTorch rules.</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast; the message names both.</exception>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"shapes {Format(a)} and {Format(b)} cannot be broadcast together (dim {i}: {da} vs {db})");
            }

            r[i] = da == 1 ? db : da;
        }

        return r;
    }

    /// <summary>Strides of <paramref name="shape"/> viewed as <paramref name="target"/> (0 where broadcast).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        var own = Strides(shape);
        var s = new int[target.Length];
        int off = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            int j = i - off;
            s[i] = j < 0 || shape[j] == 1 ? 0 : own[j];
        }

        return s;
    }

    /// <summary>True when two shapes are equal element by element.</summary>
    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
