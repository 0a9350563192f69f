using System.Diagnostics;
using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Seeded, stratified hold-out of part of a training set, for threshold calibration
/// (<c>papers/budgeted-inference.md</c>): the held-out samples must never be trained on.
/// </summary>
/// <remarks>
/// <para>Each class gets an equal share of the held-out count as far as possible: a class with fewer samples than
/// its share gives all it has and the rest is spread over the others (water-filling); the remainder that does not
/// divide evenly goes to one extra sample for classes chosen in a seeded random order. Within a class the samples
/// are drawn by a seeded shuffle.</para>
/// <para>The result depends only on the labels, the count and the seed.</para>
/// </remarks>
public static class StratifiedSplit
{
    /// <summary>Default number of held-out samples (5,000 of Fashion-MNIST's 60,000, 500 per class).</summary>
    public const int DefaultHeldOutCount = 5000;

    /// <summary>Splits a data set's samples into a training part and a held-out part.</summary>
    /// <param name="dataset">The training set.</param>
    /// <param name="heldOutCount">How many samples to hold out, in [0, N].</param>
    /// <param name="seed">Decides which samples are held out.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heldOutCount"/> is outside [0, N].</exception>
    public static HeldOutSplit Split(Dataset dataset, int heldOutCount = DefaultHeldOutCount, ulong seed = 0) =>
        Split(dataset.GetLabels(), dataset.NumClasses, heldOutCount, seed);

    /// <summary>Splits sample indices 0..N−1, stratified by <paramref name="labels"/>.</summary>
    /// <param name="labels">N labels in [0, <paramref name="numClasses"/>).</param>
    /// <param name="numClasses">K.</param>
    /// <param name="heldOutCount">How many samples to hold out, in [0, N].</param>
    /// <param name="seed">Decides which samples are held out.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heldOutCount"/> is outside [0, N] or
    /// <paramref name="numClasses"/> is not positive.</exception>
    /// <exception cref="ArgumentException">A label is outside [0, K).</exception>
    public static HeldOutSplit Split(ReadOnlySpan<int> labels, int numClasses, int heldOutCount, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (heldOutCount < 0 || heldOutCount > labels.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(heldOutCount),
                heldOutCount,
                $"held-out count must be in [0, {labels.Length}] (the data set size)");
        }

        var byClass = new List<int>[numClasses];
        for (int k = 0; k < numClasses; k++)
        {
            byClass[k] = [];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)numClasses)
            {
                throw new ArgumentException(
                    $"label {labels[i]} of sample {i} is outside [0, {numClasses})", nameof(labels));
            }

            byClass[labels[i]].Add(i);
        }

        var rng = new Rng(seed);
        int[] quota = Quotas(byClass.Select(c => c.Count).ToArray(), heldOutCount, rng);

        var held = new List<int>(heldOutCount);
        for (int k = 0; k < numClasses; k++)
        {
            int[] members = [.. byClass[k]];
            rng.Shuffle<int>(members);
            held.AddRange(members.AsSpan(0, quota[k]));
        }

        int[] heldOut = [.. held];
        Array.Sort(heldOut);
        var isHeld = new bool[labels.Length];
        foreach (int i in heldOut)
        {
            isHeld[i] = true;
        }

        var train = new int[labels.Length - heldOut.Length];
        for (int i = 0, t = 0; i < labels.Length; i++)
        {
            if (!isHeld[i])
            {
                train[t++] = i;
            }
        }

        return new HeldOutSplit(train, heldOut, quota, seed);
    }

    // Equal shares with water-filling; the indivisible remainder goes to classes in a seeded random order.
    private static int[] Quotas(int[] counts, int total, Rng rng)
    {
        int k = counts.Length;
        var quota = new int[k];
        int remaining = total;
        while (remaining > 0)
        {
            int open = counts.Where((c, j) => c > quota[j]).Count();
            Debug.Assert(open > 0, "total ≤ N guarantees a class with spare samples");
            int share = remaining / open;
            if (share == 0)
            {
                break;
            }

            for (int j = 0; j < k; j++)
            {
                int add = Math.Min(share, counts[j] - quota[j]);
                quota[j] += add;
                remaining -= add;
            }
        }

        // Always draw the permutation so the stream used by the class shuffles does not depend on the remainder.
        foreach (int j in rng.Permutation(k))
        {
            if (remaining == 0)
            {
                break;
            }

            if (counts[j] > quota[j])
            {
                quota[j]++;
                remaining--;
            }
        }

        Debug.Assert(remaining == 0);
        return quota;
    }
}
