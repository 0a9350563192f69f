using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// Shared body of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (PyTorch's <c>_BatchNorm</c>):
/// parameters <c>weight</c> (ones) and <c>bias</c> (zeros) when affine; buffers <c>running_mean</c> (zeros),
/// <c>running_var</c> (ones) and <c>num_batches_tracked</c> (a scalar, stored by PyTorch as int64) when tracking.
/// </summary>
/// <remarks>
/// Training normalises with batch statistics and updates the running ones:
/// running = (1 − momentum)·running + momentum·batch (unbiased variance); with <c>momentum = null</c> the
/// factor is 1/num_batches_tracked (a cumulative average). Eval normalises with the running statistics.
/// </remarks>
public abstract class BatchNorm : Module
{
    private protected BatchNorm(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = RegisterParameter("weight", NewTensor(numFeatures).Fill(1.0));
            Bias = RegisterParameter("bias", NewTensor(numFeatures));
        }

        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", NewTensor(numFeatures));
            RunningVar = RegisterBuffer("running_var", NewTensor(numFeatures).Fill(1.0));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", NewTensor(), isInt64: true);
        }
    }

    /// <summary>Channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Running-average factor, or null for a cumulative average.</summary>
    public double? Momentum { get; }

    /// <summary>Scale γ, (C), or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift β, (C), or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean, (C), or null when not tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running variance, (C), or null when not tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Count of training batches seen (rank 0), or null when not tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Throws unless <paramref name="x"/> has an accepted rank and <see cref="NumFeatures"/> channels.</summary>
    private protected abstract void CheckInput(Tensor x);

    /// <summary>Normalises per channel (dim 1). Output has the input's shape.</summary>
    /// <exception cref="ArgumentException">Wrong rank or channel count.</exception>
    public override Tensor Forward(Tensor x) => ForwardAct(x, null, false);

    /// <summary>
    /// <c>relu?(Forward(x) + residual?)</c> as one op (<see cref="F.BatchNormAct"/>): the same result, forward and
    /// backward, as this layer, <c>Tensor.Add</c> and <c>Tensor.Relu</c> one after the other, in fewer passes.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Forward"/>; or the residual's shape is not x's.</exception>
    public Tensor ForwardAct(Tensor x, Tensor? residual, bool relu)
    {
        CheckInput(x);
        double factor = Momentum ?? 0.0;
        if (Training && NumBatchesTracked is not null)
        {
            double n = NumBatchesTracked.GetFlat(0) + 1;
            NumBatchesTracked.SetFlat(0, n);
            factor = Momentum ?? 1.0 / n;
        }

        // PyTorch: batch statistics in training, or when there are no running statistics to use.
        bool useBatchStats = Training || RunningMean is null;
        return residual is null && !relu
            ? F.BatchNorm(x, RunningMean, RunningVar, Weight, Bias, useBatchStats, factor, Eps)
            : F.BatchNormAct(x, RunningMean, RunningVar, Weight, Bias, useBatchStats, factor, Eps, residual, relu);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PyFloat(Eps)}, momentum={(Momentum is { } m ? PyFloat(m) : "None")}, " +
        $"affine={(Weight is null ? "False" : "True")}, track_running_stats={(RunningMean is null ? "False" : "True")}";
}

/// <summary>Batch normalisation over (N, C) or (N, C, L) (<c>torch.nn.BatchNorm1d</c>); see <see cref="BatchNorm"/>.</summary>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numFeatures"/> is not positive.</exception>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    private protected override void CheckInput(Tensor x)
    {
        if ((x.Rank != 2 && x.Rank != 3) || x.Shape[1] != NumFeatures)
        {
            throw new ArgumentException($"BatchNorm1d({NumFeatures}) expects (N, {NumFeatures}) or (N, {NumFeatures}, L), got input {Shape.Format(x.Shape)}");
        }
    }
}

/// <summary>Batch normalisation over (N, C, H, W) (<c>torch.nn.BatchNorm2d</c>); see <see cref="BatchNorm"/>.</summary>
public sealed class BatchNorm2d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numFeatures"/> is not positive.</exception>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    private protected override void CheckInput(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != NumFeatures)
        {
            throw new ArgumentException($"BatchNorm2d({NumFeatures}) expects (N, {NumFeatures}, H, W), got input {Shape.Format(x.Shape)}");
        }
    }
}
