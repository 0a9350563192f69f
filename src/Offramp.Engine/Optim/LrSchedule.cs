namespace Offramp.Engine.Optim;

/// <summary>
/// A learning-rate schedule: the rate at a step as a function of a group's base rate
/// (<see cref="ParamGroup.InitialLr"/>). Steps count optimizer updates (or epochs — the schedule does not care)
/// from 0.
/// </summary>
public abstract class LrSchedule
{
    /// <summary>The learning rate at <paramref name="step"/> for a group whose base rate is <paramref name="baseLr"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public abstract double LrAt(double baseLr, long step);

    /// <summary>Sets every group's <see cref="ParamGroup.Lr"/> to its rate at <paramref name="step"/>.</summary>
    public void Apply(Optimizer optimizer, long step)
    {
        foreach (var g in optimizer.ParamGroups)
        {
            g.Lr = LrAt(g.InitialLr, step);
        }
    }
}

/// <summary>
/// Linear warm-up then cosine decay to a minimum (timm's <c>CosineLRScheduler</c> with a warm-up prefix, one
/// cycle): for step &lt; W, lr = lr₀ + (base − lr₀)·step/W; then with t = step − W and T = total − W,
/// lr = min + ½(base − min)(1 + cos(π·t/T)); lr = min from step ≥ total on.
/// </summary>
public sealed class CosineSchedule : LrSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="totalSteps">Step at which the rate reaches <paramref name="minLr"/> (warm-up included).</param>
    /// <param name="warmupSteps">Length of the linear warm-up (0 for none).</param>
    /// <param name="minLr">Final rate (absolute, the same for every group, as timm's <c>lr_min</c>).</param>
    /// <param name="warmupStartLr">Rate at step 0 of the warm-up (timm's <c>warmup_lr_init</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative warm-up, or total not greater than the warm-up.</exception>
    public CosineSchedule(long totalSteps, long warmupSteps = 0, double minLr = 0.0, double warmupStartLr = 0.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalSteps, warmupSteps);
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinLr = minLr;
        WarmupStartLr = warmupStartLr;
    }

    /// <summary>Step at which the decay ends.</summary>
    public long TotalSteps { get; }

    /// <summary>Length of the warm-up.</summary>
    public long WarmupSteps { get; }

    /// <summary>Final learning rate.</summary>
    public double MinLr { get; }

    /// <summary>Learning rate at step 0 of the warm-up.</summary>
    public double WarmupStartLr { get; }

    /// <inheritdoc/>
    public override double LrAt(double baseLr, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return WarmupStartLr + (baseLr - WarmupStartLr) * step / WarmupSteps;
        }

        long t = step - WarmupSteps, span = TotalSteps - WarmupSteps;
        if (t >= span)
        {
            return MinLr;
        }

        return MinLr + 0.5 * (baseLr - MinLr) * (1 + Math.Cos(Math.PI * t / span));
    }
}

/// <summary>
/// Step decay (<c>torch.optim.lr_scheduler.StepLR</c>): lr = base·γ^⌊step/stepSize⌋; or, with milestones
/// (<c>MultiStepLR</c>), lr = base·γ^(number of milestones ≤ step).
/// </summary>
public sealed class StepSchedule : LrSchedule
{
    private readonly long[]? _milestones;

    /// <summary>Decay by <paramref name="gamma"/> every <paramref name="stepSize"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is not positive.</exception>
    public StepSchedule(long stepSize, double gamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Decay by <paramref name="gamma"/> at each milestone step.</summary>
    /// <exception cref="ArgumentException">Milestones are empty, negative or not increasing.</exception>
    public StepSchedule(long[] milestones, double gamma = 0.1)
    {
        if (milestones.Length == 0 || milestones[0] < 0 || milestones.Zip(milestones.Skip(1)).Any(p => p.First >= p.Second))
        {
            throw new ArgumentException($"milestones must be a non-empty increasing list of steps >= 0: [{string.Join(", ", milestones)}]");
        }

        _milestones = (long[])milestones.Clone();
        Gamma = gamma;
    }

    /// <summary>Period of the decay (0 when milestones are used).</summary>
    public long StepSize { get; }

    /// <summary>Multiplicative decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double LrAt(double baseLr, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        long k = _milestones is null ? step / StepSize : _milestones.Count(m => m <= step);
        return baseLr * Math.Pow(Gamma, k);
    }
}
