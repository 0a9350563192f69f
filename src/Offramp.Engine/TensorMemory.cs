namespace Offramp.Engine;

/// <summary>
/// Where tensor storage comes from. Outside any scope, buffers are ordinary managed arrays. Inside a
/// <see cref="StepScope"/> (one training or inference step), float32 buffers come from a per-thread pool of
/// exact-size arrays and all go back to it when the scope ends, so the next step reuses them and the managed
/// heap does not churn (activations are large and short-lived; a fresh array per op would land on the large
/// object heap and trigger gen-2 collections).
/// </summary>
/// <remarks>
/// <para>Tensors created in a scope must not be used after it ends: reading one throws
/// <see cref="ObjectDisposedException"/> instead of silently seeing reused memory. Keep a result past the
/// scope with <see cref="Tensor.CloneData"/> inside <see cref="Persistent"/>, or read scalars first.</para>
/// <para>Leaf gradients (<see cref="Tensor.Grad"/>) are always allocated outside the arena.</para>
/// </remarks>
public static class TensorMemory
{
    [ThreadStatic]
    private static Arena? _arena;

    [ThreadStatic]
    private static int _persistentDepth;

    [ThreadStatic]
    private static Dictionary<int, Stack<float[]>>? _pool;

    /// <summary>Total bytes of float buffers handed out by pools on this thread (for diagnostics).</summary>
    [ThreadStatic]
    private static long _pooledBytes;

    /// <summary>Bytes currently held by this thread's pool (free and in use).</summary>
    public static long PooledBytes => _pooledBytes;

    /// <summary>
    /// Begins a step: until the returned scope is disposed, float32 tensors created on this thread take
    /// pooled buffers that are recycled when the scope ends. Scopes do not nest.
    /// </summary>
    /// <exception cref="InvalidOperationException">A step scope is already active on this thread.</exception>
    public static StepScope Step()
    {
        if (_arena is not null)
        {
            throw new InvalidOperationException("TensorMemory.Step() scopes do not nest");
        }

        _pool ??= new Dictionary<int, Stack<float[]>>();
        _arena = new Arena();
        return new StepScope(_arena);
    }

    /// <summary>
    /// Begins a sub-step inside the active step: until the returned scope is disposed, new tensors take buffers that go
    /// back to the pool when it ends (and reading one afterwards throws, as after a step), while tensors of the
    /// enclosing step stay valid. Inside it, <see cref="Outer"/> allocates in the enclosing step. For work that
    /// produces a little to keep and much to throw away, repeatedly (the dynamic runner's pooled batches): the
    /// temporaries reuse the same, cache-warm buffers instead of growing the step's arena.
    /// </summary>
    /// <exception cref="InvalidOperationException">No step scope is active on this thread.</exception>
    public static StepScope SubStep()
    {
        if (_arena is null)
        {
            throw new InvalidOperationException("TensorMemory.SubStep() needs an active TensorMemory.Step() scope");
        }

        _arena = new Arena { Parent = _arena };
        return new StepScope(_arena);
    }

    /// <summary>
    /// Inside a <see cref="SubStep"/>: until the returned scope is disposed, new tensors are allocated in the enclosing
    /// step (they outlive the sub-step), e.g. the rows a dynamic run keeps for later.
    /// </summary>
    /// <exception cref="InvalidOperationException">No sub-step is active on this thread.</exception>
    public static OuterScope Outer()
    {
        if (_arena?.Parent is not { } parent)
        {
            throw new InvalidOperationException("TensorMemory.Outer() needs an active TensorMemory.SubStep() scope");
        }

        var inner = _arena;
        _arena = parent;
        return new OuterScope(inner);
    }

    /// <summary>A scope in which allocations bypass the arena (for state that outlives the step).</summary>
    public static PersistentScope Persistent()
    {
        _persistentDepth++;
        return default;
    }

    /// <summary>Drops every pooled buffer of this thread (memory goes back to the GC).</summary>
    public static void Trim()
    {
        _pool?.Clear();
        _pooledBytes = 0;
    }

    /// <summary>Ends a <see cref="Step"/> scope and recycles its buffers.</summary>
    public readonly struct StepScope : IDisposable
    {
        private readonly Arena _owner;

        internal StepScope(Arena owner) => _owner = owner;

        /// <inheritdoc/>
        public void Dispose()
        {
            if (_owner is null || !ReferenceEquals(_arena, _owner))
            {
                return;
            }

            _owner.Released = true;
            var pool = _pool!;
            foreach (var buf in _owner.Rented)
            {
                if (!pool.TryGetValue(buf.Length, out var stack))
                {
                    pool[buf.Length] = stack = new Stack<float[]>();
                }

                stack.Push(buf);
            }

            _arena = _owner.Parent;
        }
    }

    /// <summary>Ends an <see cref="Outer"/> scope: allocations go to the sub-step again.</summary>
    public readonly struct OuterScope : IDisposable
    {
        private readonly Arena _inner;

        internal OuterScope(Arena inner) => _inner = inner;

        /// <inheritdoc/>
        public void Dispose()
        {
            if (_inner is not null && ReferenceEquals(_arena, _inner.Parent) && !_inner.Released)
            {
                _arena = _inner;
            }
        }
    }

    /// <summary>Ends a <see cref="Persistent"/> scope.</summary>
    public readonly struct PersistentScope : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => _persistentDepth--;
    }

    /// <summary>The buffers one step rented; <see cref="Released"/> once they went back to the pool.</summary>
    internal sealed class Arena
    {
        public List<float[]> Rented { get; } = new(256);

        public bool Released { get; set; }

        /// <summary>The enclosing step of a <see cref="SubStep"/> (null for a step).</summary>
        public Arena? Parent { get; init; }
    }

    /// <summary>The arena a new tensor belongs to (null when allocated from the GC heap).</summary>
    internal static Arena? CurrentArena => _persistentDepth == 0 ? _arena : null;

    /// <summary>A zeroed float buffer of exactly <paramref name="n"/> elements, pooled inside a step.</summary>
    internal static float[] RentFloat(int n, out Arena? arena) => RentFloat(n, out arena, zero: true);

    /// <summary>
    /// A float buffer of exactly <paramref name="n"/> elements, pooled inside a step; zero-filled only when
    /// <paramref name="zero"/> (kernels that overwrite every element skip the clear).
    /// </summary>
    internal static float[] RentFloat(int n, out Arena? arena, bool zero)
    {
        arena = CurrentArena;
        if (n == 0)
        {
            arena = null;
            return [];
        }

        if (arena is null)
        {
            return zero ? new float[n] : GC.AllocateUninitializedArray<float>(n);
        }

        float[] buf;
        if (_pool!.TryGetValue(n, out var stack) && stack.Count > 0)
        {
            buf = stack.Pop();
            if (zero)
            {
                Array.Clear(buf);
            }
        }
        else
        {
            buf = GC.AllocateArray<float>(n);
            _pooledBytes += 4L * n;
        }

        arena.Rented.Add(buf);
        return buf;
    }

    /// <summary>
    /// A float32 tensor whose contents are undefined (a recycled buffer is not cleared): only for kernels that
    /// write every element. Pooled inside a step like <see cref="Tensor.Empty"/>.
    /// </summary>
    internal static Tensor Uninitialized(int[] shape)
    {
        var buf = RentFloat(Shape.Numel(shape), out var arena, zero: false);
        return new Tensor(buf, (int[])shape.Clone(), DType.Float32, arena);
    }
}
