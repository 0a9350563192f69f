namespace Offramp.Engine;

/// <summary>
/// Reverse-mode differentiation. Each differentiable op, when any input <see cref="Tensor.RequiresGrad"/> and
/// recording is on, attaches a <see cref="GradNode"/> to its output holding its inputs and a backward rule;
/// <see cref="Tensor.Backward(Tensor?)"/> walks those nodes in reverse topological order.
/// </summary>
public static class Autograd
{
    [ThreadStatic]
    private static int _noGradDepth;

    /// <summary>
    /// Optional observer of recorded ops, for profiling (the training-step bench sets it; null otherwise, when it
    /// costs one null check per recorded op).
    /// </summary>
    public static IOpProfiler? Profiler { get; set; }

    /// <summary>True when ops record the graph on this thread (outside every <see cref="NoGrad"/> scope).</summary>
    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>
    /// A scope in which no op records a graph or keeps saved tensors (<c>torch.no_grad()</c>); for inference,
    /// evaluation and optimizer updates. Scopes nest.
    /// </summary>
    public static NoGradScope NoGrad()
    {
        _noGradDepth++;
        return default;
    }

    /// <summary>Ends a <see cref="NoGrad"/> scope.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => _noGradDepth--;
    }

    /// <summary>True when an op over these inputs must record its backward.</summary>
    public static bool ShouldRecord(Tensor a) => _noGradDepth == 0 && a.RequiresGrad;

    /// <summary>True when an op over these inputs must record its backward.</summary>
    public static bool ShouldRecord(Tensor a, Tensor b) => _noGradDepth == 0 && (a.RequiresGrad || b.RequiresGrad);

    /// <summary>True when an op over these inputs must record its backward.</summary>
    public static bool ShouldRecord(params ReadOnlySpan<Tensor?> inputs)
    {
        if (_noGradDepth != 0)
        {
            return false;
        }

        foreach (var t in inputs)
        {
            if (t is not null && t.RequiresGrad)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Attaches a backward rule to <paramref name="output"/>. <paramref name="backward"/> receives the gradient
    /// of the output and returns one gradient per input (null where an input needs none), each of that
    /// input's shape. It runs with recording off. Call only when <see cref="ShouldRecord(ReadOnlySpan{Tensor?})"/>.
    /// </summary>
    public static Tensor Record(Tensor output, string op, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Profiler?.OnRecord(op, output);
        output.GradFn = new GradNode(op, inputs, backward);
        return output;
    }

    /// <summary>Runs backpropagation from <paramref name="root"/>; see <see cref="Tensor.Backward(Tensor?)"/>.</summary>
    internal static void Backward(Tensor root, Tensor gradient)
    {
        if (root.GradFn is null)
        {
            if (root.RequiresGrad)
            {
                Accumulate(root, gradient);
                return;
            }

            throw new InvalidOperationException("Backward() on a tensor that does not require grad and has no grad_fn");
        }

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        using var _ = NoGrad();
        for (int k = order.Count - 1; k >= 0; k--)
        {
            var t = order[k];
            if (!grads.Remove(t, out var g))
            {
                continue;
            }

            if (t.RetainsGrad)
            {
                Accumulate(t, g);
            }

            var node = t.GradFn!;
            long start = Profiler is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            var inputGrads = node.Backward(g);
            Profiler?.OnBackward(node.Op, t, System.Diagnostics.Stopwatch.GetTimestamp() - start);
            if (inputGrads.Length != node.Inputs.Length)
            {
                throw new InvalidOperationException($"backward of {node.Op} returned {inputGrads.Length} gradients for {node.Inputs.Length} inputs");
            }

            for (int i = 0; i < inputGrads.Length; i++)
            {
                var input = node.Inputs[i];
                var ig = inputGrads[i];
                if (input is null || ig is null || !input.RequiresGrad)
                {
                    continue;
                }

                if (!Shape.Equal(ig.Shape, input.Shape))
                {
                    throw new InvalidOperationException(
                        $"backward of {node.Op}: gradient {Shape.Format(ig.Shape)} for input {i} of shape {Shape.Format(input.Shape)}");
                }

                if (input.GradFn is null)
                {
                    Accumulate(input, ig);
                }
                else if (grads.TryGetValue(input, out var acc))
                {
                    grads[input] = acc.Add(ig);
                }
                else
                {
                    grads[input] = ig;
                }
            }
        }
    }

    private static void Accumulate(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null)
        {
            // Own the gradient (it may be a view of a tensor the backward rule hands elsewhere), and keep it out
            // of any step arena: leaf gradients outlive the step that computed them.
            using (TensorMemory.Persistent())
            {
                leaf.Grad = g.CloneData();
            }
        }
        else
        {
            leaf.Grad.AddInPlace(g);
        }
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            bool pushed = false;
            for (int i = next; i < inputs.Length; i++)
            {
                var c = inputs[i];
                if (c?.GradFn is not null && visited.Add(c))
                {
                    stack.Push((t, i + 1));
                    stack.Push((c, 0));
                    pushed = true;
                    break;
                }
            }

            if (!pushed)
            {
                order.Add(t); // post-order: inputs before their consumers
            }
        }

        return order;
    }
}

/// <summary>Observer of autograd activity, for profiling.</summary>
public interface IOpProfiler
{
    /// <summary>An op recorded its backward (its forward, which made <paramref name="output"/>, has just run).</summary>
    void OnRecord(string op, Tensor output);

    /// <summary>The backward rule of the op that made <paramref name="output"/> took <paramref name="ticks"/>
    /// Stopwatch ticks (its gradient accumulation into inputs excluded).</summary>
    void OnBackward(string op, Tensor output, long ticks);
}

/// <summary>The recorded backward of one op application.</summary>
public sealed class GradNode
{
    internal GradNode(string op, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Op = op;
        Inputs = inputs;
        Backward = backward;
    }

    /// <summary>Name of the op that produced the tensor (for messages and graph dumps).</summary>
    public string Op { get; }

    internal Tensor?[] Inputs { get; }

    internal Func<Tensor, Tensor?[]> Backward { get; }
}

/// <summary>
/// Marks a public method as a differentiable op with a backward rule. The tests enumerate these and fail
/// when one has no <see cref="GradCheck"/> case of the same name.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DifferentiableAttribute(string name) : Attribute
{
    /// <summary>The op's name, as gradcheck cases refer to it.</summary>
    public string Name { get; } = name;
}
