using System.Text;

namespace Offramp.Engine.Nn;

/// <summary>
/// Base of every layer and model (<c>torch.nn.Module</c>). Parameters, buffers and child modules are
/// registered explicitly under PyTorch's names, so enumeration order and state-dict keys are PyTorch's.
/// </summary>
/// <remarks>
/// <para>Registration order is enumeration order, as in PyTorch (its <c>_parameters</c>, <c>_buffers</c> and
/// <c>_modules</c> are insertion-ordered dicts). Registering a name again under the same kind replaces the
/// entry in its place; a name cannot be both a parameter and a buffer or a module.</para>
/// <para>Modules start in training mode. Parameters are float leaf tensors with
/// <see cref="Tensor.RequiresGrad"/> set on registration.</para>
/// </remarks>
public abstract partial class Module
{
    private readonly OrderedDictionary<string, Tensor> _parameters = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, BufferSlot> _buffers = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, Module> _modules = new(StringComparer.Ordinal);

    private sealed record BufferSlot(Tensor Tensor, bool Persistent, TorchDType TorchDType);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The forward pass. Modules with several inputs add overloads.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>
    /// Registers <paramref name="parameter"/> under <paramref name="name"/> (<c>register_parameter</c>) and
    /// sets its <see cref="Tensor.RequiresGrad"/>. Returns the tensor, for <c>Weight = RegisterParameter(...)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is used by a buffer or module;
    /// the tensor is not a leaf; or it lives in a <see cref="TensorMemory.Step"/> arena.</exception>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        CheckName(name, _parameters);
        if (!parameter.IsLeaf)
        {
            throw new ArgumentException($"{GetType().Name}: parameter '{name}' must be a leaf tensor (Detach() it first)");
        }

        CheckOutsideStep(name, parameter);
        parameter.RequiresGrad = true;
        _parameters[name] = parameter;
        return parameter;
    }

    /// <summary>
    /// Registers a buffer: state that is not trained (<c>register_buffer</c>), e.g. BatchNorm's running
    /// statistics. Persistent buffers appear in <see cref="StateDict"/>; <paramref name="isInt64"/> marks buffers
    /// PyTorch stores as <c>torch.int64</c> (e.g. <c>num_batches_tracked</c>) so writers save them as I64.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is used by a parameter or module; or
    /// the tensor lives in a <see cref="TensorMemory.Step"/> arena.</exception>
    protected Tensor RegisterBuffer(string name, Tensor buffer, bool persistent = true, bool isInt64 = false)
    {
        CheckName(name, _buffers);
        CheckOutsideStep(name, buffer);
        var hint = isInt64 ? TorchDType.Int64 : buffer.DType == DType.Float64 ? TorchDType.Float64 : TorchDType.Float32;
        _buffers[name] = new BufferSlot(buffer, persistent, hint);
        return buffer;
    }

    /// <summary>Registers a child module (<c>add_module</c>); its entries get the prefix <c>name.</c>.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', is used by a parameter or buffer,
    /// or the child is this module.</exception>
    protected T RegisterModule<T>(string name, T module)
        where T : Module
    {
        CheckName(name, _modules);
        if (ReferenceEquals(module, this))
        {
            throw new ArgumentException($"{GetType().Name}: a module cannot be its own child ('{name}')");
        }

        _modules[name] = module;
        return module;
    }

    /// <summary>
    /// A zeroed float32 tensor for a parameter or buffer, allocated outside any <see cref="TensorMemory.Step"/>
    /// arena (module state outlives a step).
    /// </summary>
    protected static Tensor NewTensor(params int[] shape)
    {
        using var _ = TensorMemory.Persistent();
        return Tensor.Zeros(shape);
    }

    private void CheckOutsideStep(string name, Tensor t)
    {
        if (t.Arena is not null)
        {
            throw new ArgumentException($"{GetType().Name}: '{name}' was created inside a TensorMemory.Step() scope and " +
                "would be recycled when it ends; create module state outside the step or under TensorMemory.Persistent()");
        }
    }

    private void CheckName<TV>(string name, OrderedDictionary<string, TV> own)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{GetType().Name}: invalid name '{name}' (empty or contains '.')");
        }

        bool taken = (_parameters.ContainsKey(name) && !ReferenceEquals(own, _parameters))
            || (_buffers.ContainsKey(name) && !ReferenceEquals(own, _buffers))
            || (_modules.ContainsKey(name) && !ReferenceEquals(own, _modules));
        if (taken)
        {
            throw new ArgumentException($"{GetType().Name}: attribute '{name}' already exists");
        }
    }

    /// <summary>The direct children with their names, in registration order (<c>named_children</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in _modules)
        {
            if (seen.Add(m))
            {
                yield return (name, m);
            }
        }
    }

    /// <summary>The direct children in registration order (<c>children</c>).</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>
    /// This module (name <c>""</c>, or <paramref name="prefix"/>) and every descendant, pre-order, with dotted
    /// names (<c>named_modules</c>); a module reachable twice is listed once.
    /// </summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var list = new List<(string, Module)>();
        CollectModules(prefix, seen, list);
        return list;
    }

    private void CollectModules(string prefix, HashSet<Module> seen, List<(string, Module)> list)
    {
        if (!seen.Add(this))
        {
            return;
        }

        list.Add((prefix, this));
        foreach (var (name, m) in _modules)
        {
            m.CollectModules(Join(prefix, name), seen, list);
        }
    }

    /// <summary>Every module of the tree, pre-order (<c>modules</c>).</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>
    /// Parameters with dotted names (<c>named_parameters</c>): for each module of <see cref="NamedModules"/> its
    /// own parameters in registration order. A tensor shared by two modules is listed once (under its first name).
    /// </summary>
    /// <param name="prefix">Prepended to every name.</param>
    /// <param name="recurse">False: only this module's own parameters.</param>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var mods = recurse ? NamedModules(prefix) : [(prefix, this)];
        foreach (var (mname, m) in mods)
        {
            foreach (var (name, p) in m._parameters)
            {
                if (seen.Add(p))
                {
                    yield return (Join(mname, name), p);
                }
            }
        }
    }

    /// <summary>The parameters, in <see cref="NamedParameters"/> order (<c>parameters</c>).</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters("", recurse).Select(p => p.Parameter);

    /// <summary>Buffers with dotted names, persistent or not (<c>named_buffers</c>), in module pre-order.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var mods = recurse ? NamedModules(prefix) : [(prefix, this)];
        foreach (var (mname, m) in mods)
        {
            foreach (var (name, b) in m._buffers)
            {
                if (seen.Add(b.Tensor))
                {
                    yield return (Join(mname, name), b.Tensor);
                }
            }
        }
    }

    /// <summary>The buffers, in <see cref="NamedBuffers"/> order (<c>buffers</c>).</summary>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers("", recurse).Select(b => b.Buffer);

    /// <summary>The descendant at a dotted path (<c>get_submodule("layer1.0")</c>); "" is this module.</summary>
    /// <exception cref="ArgumentException">No module has that path; the message names the missing part.</exception>
    public Module GetSubmodule(string target)
    {
        if (target.Length == 0)
        {
            return this;
        }

        Module cur = this;
        foreach (var part in target.Split('.'))
        {
            if (!cur._modules.TryGetValue(part, out var next))
            {
                throw new ArgumentException($"{cur.GetType().Name} has no submodule '{part}' (looking up '{target}')");
            }

            cur = next;
        }

        return cur;
    }

    /// <summary>Calls <paramref name="fn"/> on every descendant, children first, then on this module (<c>apply</c>).</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var c in Children())
        {
            c.Apply(fn);
        }

        fn(this);
        return this;
    }

    /// <summary>Sets training mode on this module and every descendant (<c>train(mode)</c>).</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var c in Children())
        {
            c.Train(mode);
        }

        return this;
    }

    /// <summary>Sets evaluation mode everywhere (<c>eval()</c>): dropout off, BatchNorm uses running stats.</summary>
    public Module Eval() => Train(false);

    /// <summary>Sets <see cref="Tensor.RequiresGrad"/> on every parameter (<c>requires_grad_(flag)</c>).</summary>
    /// <remarks>Freezing does not change BatchNorm's running statistics, which update in training mode; call
    /// <see cref="Eval"/> on a frozen part to freeze them too.</remarks>
    public Module RequiresGradAll(bool requiresGrad)
    {
        foreach (var p in Parameters())
        {
            p.RequiresGrad = requiresGrad;
        }

        return this;
    }

    /// <summary>Stops gradients to every parameter: <c>RequiresGradAll(false)</c>.</summary>
    public Module Freeze() => RequiresGradAll(false);

    /// <summary>Lets gradients reach every parameter again: <c>RequiresGradAll(true)</c>.</summary>
    public Module Unfreeze() => RequiresGradAll(true);

    /// <summary>
    /// Clears the gradients of every parameter (<c>zero_grad(set_to_none)</c>). With
    /// <paramref name="setToNone"/> (PyTorch's default) <see cref="Tensor.Grad"/> becomes null; otherwise the
    /// existing gradient tensors are zero-filled and reused.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (setToNone)
            {
                p.Grad = null;
            }
            else
            {
                p.Grad?.Fill(0);
            }
        }
    }

    /// <summary>Number of parameter elements (shared tensors counted once).</summary>
    /// <param name="trainableOnly">Count only parameters with <see cref="Tensor.RequiresGrad"/>.</param>
    public long ParameterCount(bool trainableOnly = false) =>
        Parameters().Where(p => !trainableOnly || p.RequiresGrad).Sum(p => (long)p.Numel);

    /// <summary>The extra text of this module's line in <see cref="ToString"/> (PyTorch's <c>extra_repr</c>).</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>PyTorch-style nested description: <c>Sequential(\n  (0): Linear(in_features=3, ...)\n)</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(GetType().Name).Append('(').Append(ExtraRepr());
        if (_modules.Count > 0)
        {
            sb.Append('\n');
            foreach (var (name, m) in _modules)
            {
                var child = m.ToString().Replace("\n", "\n  ", StringComparison.Ordinal);
                sb.Append("  (").Append(name).Append("): ").Append(child).Append('\n');
            }
        }

        return sb.Append(')').ToString();
    }

    /// <summary>A float as Python's <c>repr</c> prints it (<c>1e-05</c>, <c>0.1</c>, <c>1.0</c>), for reprs.</summary>
    internal static string PyFloat(double v)
    {
        var s = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (s.Contains('E', StringComparison.Ordinal))
        {
            return s.ToLowerInvariant();
        }

        return double.IsFinite(v) && !s.Contains('.', StringComparison.Ordinal) ? s + ".0" : s;
    }

    internal static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
