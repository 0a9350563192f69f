using System.Runtime.CompilerServices;

namespace Offramp.Engine;

/// <summary>
/// Inference with weights that do not change: while a <see cref="Freeze"/> scope is open on a thread, a convolution
/// called on that thread packs its weight tensor into the GEMM's (or the direct kernel's) panel layout once and reuses
/// that copy in later calls, instead of packing it before every call; so does a Linear layer (with a bias, or fused
/// with GELU / a residual) on up to 256 rows. The packed copy holds the same values in the same
/// layout, so results are bit-identical with and without a scope; what changes is the time of a call on a small batch
/// (a 96-channel 3×3 convolution on one 7×7 image: 97 → 49 µs at 2 threads in <c>--quick --conv-small</c>, because
/// the other thread no longer waits for the packing nor fetches the freshly written panels from the packing core's
/// cache).
/// </summary>
/// <remarks>
/// The contract: <b>no weight tensor used inside a scope may be modified while the scope is open</b> (no optimiser
/// step, no <c>LoadStateDict</c>, no writes through <see cref="Tensor.Span"/>); a modified weight would keep its old
/// packed copy. A scope belongs to the thread that opened it (it must be disposed there): calls on other threads — a
/// training loop beside an evaluation, the kernels' own workers — neither see it nor use its copies, which are dropped
/// when that thread's outermost scope closes. The inference runners (dynamic, anytime, per-exit latency,
/// <c>offramp bench</c>'s inference figures) open a scope around their work; training never does.
/// </remarks>
public static class FrozenWeights
{
    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static ConditionalWeakTable<Tensor, object>? t_packed;

    /// <summary>True while the calling thread has at least one <see cref="Freeze"/> scope open.</summary>
    public static bool IsActive => t_depth > 0;

    /// <summary>Opens a scope on the calling thread in which convolution and Linear weights are packed once and reused (see the
    /// class remarks for the contract). Dispose it on the same thread when the weights may change again.</summary>
    public static IDisposable Freeze()
    {
        t_depth++;
        t_packed ??= new ConditionalWeakTable<Tensor, object>();
        return new Scope(Environment.CurrentManagedThreadId);
    }

    /// <summary>The calling thread's packed copy of <paramref name="weight"/> for <paramref name="key"/> (the kernel's
    /// layout and sizes), made by <paramref name="pack"/> on first use; null when the thread has no scope open.</summary>
    internal static float[]? GetOrPack<TKey>(Tensor weight, TKey key, Func<float[]> pack)
        where TKey : IEquatable<TKey>
    {
        if (t_depth == 0 || t_packed is not { } table)
        {
            return null;
        }

        if (table.TryGetValue(weight, out var found) && found is Entry<TKey> e && e.Key.Equals(key))
        {
            return e.Packed;
        }

        var entry = new Entry<TKey>(key, pack());
        table.AddOrUpdate(weight, entry);
        return entry.Packed;
    }

    private sealed record Entry<TKey>(TKey Key, float[] Packed);

    private sealed class Scope(int thread) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            if (Environment.CurrentManagedThreadId != thread)
            {
                throw new InvalidOperationException("FrozenWeights: a scope must be disposed on the thread that opened it");
            }

            _disposed = true;
            if (--t_depth == 0)
            {
                t_packed = null;
            }
        }
    }
}
