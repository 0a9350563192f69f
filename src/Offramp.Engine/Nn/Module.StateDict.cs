namespace Offramp.Engine.Nn;

/// <summary>Keys a non-strict <see cref="Module.LoadStateDict"/> skipped (PyTorch's <c>_IncompatibleKeys</c>).</summary>
/// <param name="MissingKeys">Module keys absent from the state dict (left unchanged).</param>
/// <param name="UnexpectedKeys">State-dict keys the module does not have (ignored).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

public abstract partial class Module
{
    /// <summary>
    /// The module's state (<c>state_dict()</c>): for this module its parameters, then its persistent buffers, in
    /// registration order, then each child's state under <c>childname.</c>, recursively — PyTorch's keys and order.
    /// </summary>
    /// <remarks>The values are the module's own tensors (as PyTorch's detached references): writing into them
    /// changes the module. Clone them (<see cref="Tensor.CloneData"/>) to keep a snapshot.</remarks>
    /// <param name="prefix">Prepended to every key (e.g. <c>"module."</c>).</param>
    public StateDict StateDict(string prefix = "")
    {
        var dict = new StateDict();
        AddState(dict, prefix);
        return dict;
    }

    private void AddState(StateDict dict, string prefix)
    {
        foreach (var (name, p) in _parameters)
        {
            dict.Add(prefix + name, p, p.DType == DType.Float64 ? TorchDType.Float64 : TorchDType.Float32);
        }

        foreach (var (name, b) in _buffers)
        {
            if (b.Persistent)
            {
                dict.Add(prefix + name, b.Tensor, b.TorchDType);
            }
        }

        foreach (var (name, m) in _modules)
        {
            m.AddState(dict, prefix + name + ".");
        }
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into this module's parameters and persistent buffers, in
    /// place (<c>load_state_dict</c>). Everything is validated before anything is copied: when the call throws, the
    /// module is unchanged. Values are converted to each destination's element type.
    /// </summary>
    /// <param name="stateDict">Keys as produced by <see cref="StateDict"/> (any <see cref="IReadOnlyDictionary{TKey, TValue}"/>).</param>
    /// <param name="strict">When true (PyTorch's default), missing and unexpected keys are errors; when false they
    /// are skipped and returned.</param>
    /// <returns>The keys that were skipped (both lists empty after a strict load).</returns>
    /// <exception cref="StateDictMismatchException">Strict and some keys are missing or unexpected, or (strict or
    /// not) some shapes differ. The message names every offending key and both shapes.</exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var e in own.Entries)
        {
            if (!stateDict.TryGetValue(e.Key, out var src))
            {
                missing.Add(e.Key);
            }
            else if (!Engine.Shape.Equal(src.Shape, e.Tensor.Shape))
            {
                mismatched.Add($"size mismatch for {e.Key}: copying a param with shape {Engine.Shape.Format(src.Shape)} " +
                    $"from checkpoint, the shape in current model is {Engine.Shape.Format(e.Tensor.Shape)}.");
            }
        }

        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            throw new StateDictMismatchException(GetType().Name, strict ? missing : [], strict ? unexpected : [], mismatched);
        }

        foreach (var e in own.Entries)
        {
            if (stateDict.TryGetValue(e.Key, out var src))
            {
                CopyConverting(src, e.Tensor);
            }
        }

        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>Copies values of equal shape, converting the element type; not recorded.</summary>
    internal static void CopyConverting(Tensor src, Tensor dst)
    {
        Debug.Assert(Engine.Shape.Equal(src.Shape, dst.Shape));
        if (ReferenceEquals(src, dst) || src.SharesStorageWith(dst))
        {
            return;
        }

        if (src.DType == dst.DType)
        {
            src.CopyDataTo(dst);
        }
        else if (dst.DType == DType.Float32)
        {
            var s = src.Data<double>();
            var d = dst.Span;
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = (float)s[i];
            }
        }
        else
        {
            var s = src.Span;
            var d = dst.Data<double>();
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = s[i];
            }
        }
    }
}
