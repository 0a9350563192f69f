using System.Globalization;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Optim;

/// <summary>
/// Base of the optimizers (<c>torch.optim.Optimizer</c>): parameter groups, per-parameter state, and state
/// export/import for checkpoints. <see cref="Step"/> updates every parameter that has a gradient, in place.
/// </summary>
/// <remarks>
/// <para>Per-parameter state is addressed by the parameter's index over all groups in order (PyTorch packs
/// optimizer state the same way): key <c>state.{i}.{name}</c>, e.g. <c>state.3.exp_avg</c>.</para>
/// <para>Updates run on spans with <see cref="TensorPrimitives"/> and allocate nothing after the first step
/// (state tensors and one scratch buffer are created lazily). Parameters may be float32 or float64.</para>
/// </remarks>
public abstract class Optimizer
{
    private readonly List<ParamGroup> _groups;
    private readonly Tensor[] _params;
    private readonly ParamGroup[] _groupOf;
    private readonly ParamState?[] _state;
    private Array? _scratch;

    /// <summary>The state of one parameter: its step count and the optimizer's named tensors.</summary>
    private protected sealed class ParamState(int tensors)
    {
        public long Step { get; set; }

        public Tensor?[] Tensors { get; } = new Tensor?[tensors];
    }

    /// <summary>Binds the groups, filling their unset learning rates and weight decays with the defaults.</summary>
    /// <exception cref="ArgumentException">No group, a tensor in two groups (or twice in one), a group already
    /// bound to another optimizer, a non-leaf parameter, or a negative/NaN lr or weight decay.</exception>
    private protected Optimizer(IEnumerable<ParamGroup> groups, double lr, double weightDecay)
    {
        _groups = [.. groups];
        if (_groups.Count == 0)
        {
            throw new ArgumentException($"{GetType().Name}: optimizer got an empty list of parameter groups");
        }

        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var all = new List<Tensor>();
        var owner = new List<ParamGroup>();
        foreach (var g in _groups)
        {
            if (g.Bound)
            {
                throw new ArgumentException($"{GetType().Name}: {g} already belongs to an optimizer");
            }

            g.Lr = g.LrOverride ?? lr;
            g.WeightDecay = g.WeightDecayOverride ?? weightDecay;
            g.InitialLr = g.Lr;
            CheckNonNegative(g.Lr, "lr");
            CheckNonNegative(g.WeightDecay, "weight_decay");
            foreach (var p in g.Params)
            {
                if (!p.IsLeaf)
                {
                    throw new ArgumentException($"{GetType().Name}: can't optimize a non-leaf tensor {Shape.Format(p.Shape)}");
                }

                if (!seen.Add(p))
                {
                    throw new ArgumentException($"{GetType().Name}: some parameters appear in more than one parameter group");
                }

                all.Add(p);
                owner.Add(g);
            }
        }

        foreach (var g in _groups)
        {
            g.Bound = true;
        }

        _params = [.. all];
        _groupOf = [.. owner];
        _state = new ParamState?[_params.Length];
    }

    /// <summary>Wraps a plain parameter list as one group.</summary>
    private protected static IEnumerable<ParamGroup> OneGroup(IEnumerable<Tensor> parameters) => [new ParamGroup(parameters)];

    /// <summary>Throws when a hyperparameter is negative or NaN.</summary>
    private protected void CheckNonNegative(double value, string name)
    {
        if (!(value >= 0))
        {
            throw new ArgumentException($"{GetType().Name}: invalid {name} value {value}");
        }
    }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Every parameter over all groups, in state-index order.</summary>
    public IReadOnlyList<Tensor> Parameters => _params;

    /// <summary>Names of the per-parameter state tensors, as in PyTorch (e.g. <c>exp_avg</c>).</summary>
    private protected abstract string[] StateNames { get; }

    /// <summary>Whether the per-parameter state includes a step count (<c>state.{i}.step</c>).</summary>
    private protected abstract bool HasStep { get; }

    /// <summary>Updates one parameter whose <see cref="Tensor.Grad"/> is set; called by <see cref="Step"/>.</summary>
    private protected abstract void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state);

    /// <summary>
    /// One optimisation step (<c>step()</c>): every parameter with a gradient is updated in place; parameters
    /// without one are skipped (and their state and step count are unchanged). Not recorded by autograd.
    /// </summary>
    /// <exception cref="InvalidOperationException">A gradient's shape or type differs from its parameter's.</exception>
    public void Step()
    {
        using var _ = Autograd.NoGrad();
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            var g = p.Grad;
            if (g is null)
            {
                continue;
            }

            if (!Shape.Equal(g.Shape, p.Shape) || g.DType != p.DType)
            {
                throw new InvalidOperationException($"{GetType().Name}: gradient {Shape.Format(g.Shape)} {g.DType.Name()} " +
                    $"for parameter {i} of {Shape.Format(p.Shape)} {p.DType.Name()}");
            }

            var st = _state[i] ??= new ParamState(StateNames.Length);
            Update(p, g, _groupOf[i], st);
        }
    }

    /// <summary>Clears the gradients of every parameter (<c>zero_grad(set_to_none)</c>); see <see cref="Module.ZeroGrad"/>.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _params)
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

    /// <summary>A state tensor shaped like <paramref name="param"/>, zero-filled on first use.</summary>
    /// <remarks>Allocated outside any <see cref="TensorMemory.Step"/> arena: state outlives the step.</remarks>
    private protected static Tensor StateTensor(ParamState state, int index, Tensor param)
    {
        if (state.Tensors[index] is { } t)
        {
            return t;
        }

        using var _ = TensorMemory.Persistent();
        return state.Tensors[index] = Tensor.ZerosLike(param);
    }

    /// <summary>A scratch span of at least <paramref name="n"/> elements, reused across steps.</summary>
    private protected Span<T> Scratch<T>(int n)
        where T : unmanaged
    {
        if (_scratch is not T[] s || s.Length < n)
        {
            s = new T[_params.Max(p => p.Numel)];
            _scratch = s;
        }

        return s.AsSpan(0, n);
    }

    /// <summary>
    /// The optimizer state (<c>state_dict()["state"]</c>) as named tensors: <c>state.{i}.step</c> (a scalar,
    /// hinted <see cref="TorchDType.Int64"/>) and <c>state.{i}.{name}</c> for each state tensor, for every
    /// parameter that has state. The tensors are the optimizer's own (not copies).
    /// </summary>
    /// <remarks>Hyperparameters (lr, weight decay, betas…) are configuration, not state: the caller restores
    /// them (a schedule sets the lr from the step).</remarks>
    public StateDict StateDict()
    {
        var dict = new StateDict();
        for (int i = 0; i < _params.Length; i++)
        {
            var st = _state[i];
            if (st is null)
            {
                continue;
            }

            string prefix = "state." + i.ToString(CultureInfo.InvariantCulture) + ".";
            if (HasStep)
            {
                dict.Add(prefix + "step", Tensor.Scalar(st.Step, DType.Float64), TorchDType.Int64);
            }

            for (int k = 0; k < StateNames.Length; k++)
            {
                if (st.Tensors[k] is { } t)
                {
                    dict.Add(prefix + StateNames[k], t);
                }
            }
        }

        return dict;
    }

    /// <summary>
    /// Replaces the optimizer state with <paramref name="stateDict"/> (as written by <see cref="StateDict"/>);
    /// parameters without entries start fresh. Everything is validated first: on error nothing changes.
    /// Tensors are copied and converted to each parameter's type.
    /// </summary>
    /// <exception cref="StateDictMismatchException">Unknown keys or parameter indices, shapes that differ from the
    /// parameter's, a parameter with only part of its state, or a step that is not a whole number ≥ 0.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var names = StateNames;
        var found = new Tensor?[_params.Length, names.Length + 1]; // last column: step
        var unexpected = new List<string>();
        var bad = new List<string>();
        foreach (var (key, t) in stateDict)
        {
            var parts = key.Split('.');
            int col = parts.Length == 3 ? (parts[2] == "step" && HasStep ? names.Length : Array.IndexOf(names, parts[2])) : -1;
            if (parts.Length != 3 || parts[0] != "state" || col < 0
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i >= _params.Length)
            {
                unexpected.Add(key);
                continue;
            }

            if (col == names.Length)
            {
                double s = t.Numel == 1 ? t.GetFlat(0) : double.NaN;
                if (!(s >= 0) || s != Math.Floor(s))
                {
                    bad.Add($"{key}: a step count must be one whole number >= 0, got {t}");
                }
            }
            else if (!Shape.Equal(t.Shape, _params[i].Shape))
            {
                bad.Add($"size mismatch for {key}: shape {Shape.Format(t.Shape)} in the state dict, parameter {i} has shape {Shape.Format(_params[i].Shape)}.");
            }

            found[i, col] = t;
        }

        var missing = new List<string>();
        int needed = names.Length + (HasStep ? 1 : 0);
        for (int i = 0; i < _params.Length; i++)
        {
            int have = 0;
            for (int c = 0; c <= names.Length; c++)
            {
                have += found[i, c] is null ? 0 : 1;
            }

            if (have != 0 && have != needed)
            {
                missing.AddRange(names.Where((n, c) => found[i, c] is null).Select(n => $"state.{i}.{n}"));
                if (HasStep && found[i, names.Length] is null)
                {
                    missing.Add($"state.{i}.step");
                }
            }
        }

        if (unexpected.Count > 0 || bad.Count > 0 || missing.Count > 0)
        {
            throw new StateDictMismatchException(GetType().Name, missing, unexpected, bad);
        }

        using var persistent = TensorMemory.Persistent();
        for (int i = 0; i < _params.Length; i++)
        {
            if (found[i, 0] is null && found[i, names.Length] is null)
            {
                _state[i] = null;
                continue;
            }

            var st = new ParamState(names.Length) { Step = HasStep ? (long)found[i, names.Length]!.GetFlat(0) : 0 };
            for (int c = 0; c < names.Length; c++)
            {
                var dst = Tensor.ZerosLike(_params[i]);
                Module.CopyConverting(found[i, c]!, dst);
                st.Tensors[c] = dst;
            }

            _state[i] = st;
        }
    }
}
