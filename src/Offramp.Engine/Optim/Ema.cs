using Offramp.Engine.Nn;

namespace Offramp.Engine.Optim;

/// <summary>
/// Exponential moving average of a model's weights (timm's <c>ModelEmaV2</c>/<c>V3</c>): after each
/// <see cref="Update"/>, ema = decay·ema + (1 − decay)·param for every parameter, and buffers (BatchNorm's running
/// statistics) are copied. The averaged weights live in a shadow state dict with the model's keys.
/// </summary>
/// <remarks>
/// <para>The model's tensors are looked up once, at construction; <see cref="Module.LoadStateDict"/> copies in place,
/// so the binding survives loads. Updates allocate nothing.</para>
/// <para>With <see cref="Warmup"/>, update t (0-based) uses min(decay, (1 + t) / (10 + t)) — TensorFlow's
/// <c>ExponentialMovingAverage(num_updates=…)</c> rule — so a short run does not average in its random
/// initialisation: with decay 0.9999 and no warm-up, the average after 1,000 steps is still 90 % the initial
/// weights.</para>
/// </remarks>
public sealed class Ema
{
    private readonly (Tensor Source, Tensor Shadow, bool IsParameter)[] _pairs;
    private readonly StateDict _shadow = new();

    /// <summary>Starts the average at a copy of <paramref name="model"/>'s state.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is outside [0, 1].</exception>
    public Ema(Module model, double decay = 0.9999)
    {
        Decay = decay;
        var parameters = new HashSet<Tensor>(model.Parameters(), ReferenceEqualityComparer.Instance);
        var pairs = new List<(Tensor, Tensor, bool)>();
        using var persistent = TensorMemory.Persistent();
        foreach (var e in model.StateDict().Entries)
        {
            var copy = e.Tensor.CloneData();
            _shadow.Add(e.Key, copy, e.TorchDType);
            pairs.Add((e.Tensor, copy, parameters.Contains(e.Tensor)));
        }

        _pairs = [.. pairs];
    }

    /// <summary>Weight of the old average in each update.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set outside [0, 1].</exception>
    public double Decay
    {
        get;
        set
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"EMA decay must be in [0, 1], got {value}");
            }

            field = value;
        }
    }

    /// <summary>Whether early updates use the smaller decay min(decay, (1 + t) / (10 + t)).</summary>
    public bool Warmup { get; set; }

    /// <summary>Number of updates so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The decay update <paramref name="t"/> (0-based) uses: <see cref="Decay"/>, or with
    /// <see cref="Warmup"/> min(decay, (1 + t) / (10 + t)).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="t"/> is negative.</exception>
    public double DecayAt(long t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        return Warmup ? Math.Min(Decay, (1.0 + t) / (10.0 + t)) : Decay;
    }

    /// <summary>Folds the model's current weights into the average and copies its buffers.</summary>
    /// <param name="t">The update's index for the warm-up rule (a trainer passes its global step, so a resumed run
    /// continues the same decays); null = <see cref="Updates"/>.</param>
    public void Update(long? t = null)
    {
        double w = 1 - DecayAt(t ?? Updates);
        foreach (var (src, shadow, isParam) in _pairs)
        {
            if (!isParam)
            {
                src.CopyDataTo(shadow);
            }
            else if (shadow.DType == DType.Float32)
            {
                TensorPrimitives.Lerp(shadow.Span, src.Span, (float)w, shadow.Span); // timm V3: ema_v.lerp_(model_v, 1 - decay)
            }
            else
            {
                TensorPrimitives.Lerp(shadow.Data<double>(), src.Data<double>(), w, shadow.Data<double>());
            }
        }

        Updates++;
    }

    /// <summary>The averaged state under the model's keys (the shadow tensors themselves), e.g. to save it.</summary>
    public StateDict StateDict() => _shadow;

    /// <summary>Loads the averaged weights into <paramref name="target"/> (a model of the same architecture).</summary>
    /// <exception cref="StateDictMismatchException">The target's keys or shapes differ.</exception>
    public void CopyTo(Module target) => target.LoadStateDict(_shadow);

    /// <summary>Restores the average from a checkpoint (strict; validated before anything changes).</summary>
    /// <exception cref="StateDictMismatchException">Missing, unexpected or mis-shaped keys.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var missing = _shadow.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !_shadow.ContainsKey(k)).ToList();
        var mismatched = _shadow.Entries
            .Where(e => stateDict.TryGetValue(e.Key, out var t) && !Shape.Equal(t.Shape, e.Tensor.Shape))
            .Select(e => $"size mismatch for {e.Key}: {Shape.Format(stateDict[e.Key].Shape)} in the state dict, " +
                $"{Shape.Format(e.Tensor.Shape)} in the EMA.")
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            throw new StateDictMismatchException("Ema", missing, unexpected, mismatched);
        }

        foreach (var e in _shadow.Entries)
        {
            Module.CopyConverting(stateDict[e.Key], e.Tensor);
        }
    }
}
