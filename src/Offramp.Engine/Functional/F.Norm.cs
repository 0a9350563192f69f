using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Batch normalisation over (N, C) or (N, C, *) (<c>torch.nn.functional.batch_norm</c>), statistics per
    /// channel over the N·* values of that channel.
    /// </summary>
    /// <remarks>
    /// <para>Training: normalises with the batch mean and biased variance, and the backward flows through both.
    /// When running stats are given they are updated in place, as PyTorch does:
    /// running_mean = (1 − momentum)·running_mean + momentum·mean and
    /// running_var = (1 − momentum)·running_var + momentum·var·M/(M − 1) (the unbiased variance, M = N·*).</para>
    /// <para>Eval: normalises with the running stats, which are constants for the backward.</para>
    /// <para>The running stats are buffers: they are never differentiated.</para>
    /// </remarks>
    /// <param name="x">(N, C) or (N, C, *).</param>
    /// <param name="runningMean">(C) or null; updated in place in training.</param>
    /// <param name="runningVar">(C) or null (exactly when <paramref name="runningMean"/> is); updated in place in training.</param>
    /// <param name="weight">(C) scale γ or null (1).</param>
    /// <param name="bias">(C) shift β or null (0).</param>
    /// <param name="training">Batch statistics (true) or running statistics (false).</param>
    /// <param name="momentum">Weight of the batch statistics in the running update.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape.</returns>
    /// <exception cref="ArgumentException">Shapes or types disagree; eval without running stats; training with one
    /// value per channel.</exception>
    [Differentiable("batch_norm")]
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum = 0.1, double eps = 1e-5) =>
        BatchNormChecked(x, runningMean, runningVar, weight, bias, training, momentum, eps, null, false);

    private static Tensor BatchNormChecked(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps, Tensor? residual, bool relu)
    {
        if (x.Rank < 2)
        {
            throw new ArgumentException($"batch_norm: input must be (N, C) or (N, C, *), got {Shape.Format(x.Shape)}");
        }

        int n = x.Shape[0], c = x.Shape[1];
        int s = Shape.Numel(x.Shape.AsSpan(2));
        CheckChannelParam(x.DType, x.Shape, runningMean, c, "running_mean");
        CheckChannelParam(x.DType, x.Shape, runningVar, c, "running_var");
        CheckChannelParam(x.DType, x.Shape, weight, c, "weight");
        CheckChannelParam(x.DType, x.Shape, bias, c, "bias");
        if ((runningMean is null) != (runningVar is null))
        {
            throw new ArgumentException("batch_norm: give both running_mean and running_var, or neither");
        }

        if (!training && runningMean is null)
        {
            throw new ArgumentException($"batch_norm: eval mode needs running_mean and running_var (input {Shape.Format(x.Shape)})");
        }

        if (training && (long)n * s <= 1)
        {
            throw new ArgumentException($"batch_norm: expected more than 1 value per channel when training, got input {Shape.Format(x.Shape)}");
        }

        return x.DType == DType.Float32
            ? BatchNormImpl<float>(x, runningMean, runningVar, weight, bias, training, momentum, eps, n, c, s, residual, relu)
            : BatchNormImpl<double>(x, runningMean, runningVar, weight, bias, training, momentum, eps, n, c, s, residual, relu);
    }

    /// <summary>
    /// <c>relu?(batch_norm(x) + residual?)</c> as one op: <see cref="BatchNorm"/>, then <c>Tensor.Add</c> of
    /// <paramref name="residual"/> (when given) and <c>Tensor.Relu</c> (when <paramref name="relu"/>), bit-identical
    /// to those ops run one after the other, forward and backward, but the residual and the ReLU are applied in
    /// BatchNorm's normalising pass and only the result is kept (a ResNet block's tail in training).
    /// </summary>
    /// <param name="x">(N, C) or (N, C, *).</param>
    /// <param name="runningMean">As in <see cref="BatchNorm"/>.</param>
    /// <param name="runningVar">As in <see cref="BatchNorm"/>.</param>
    /// <param name="weight">(C) or null.</param>
    /// <param name="bias">(C) or null.</param>
    /// <param name="training">Batch statistics (true) or running statistics (false).</param>
    /// <param name="momentum">Weight of the batch statistics in the running update.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="residual">Added after the normalisation: x's shape, or null.</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="BatchNorm"/>; or the residual's shape or type is not x's.</exception>
    [Differentiable("batch_norm_act")]
    public static Tensor BatchNormAct(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps, Tensor? residual, bool relu)
    {
        if (residual is not null)
        {
            if (!Shape.Equal(residual.Shape, x.Shape))
            {
                throw new ArgumentException($"batch_norm_act: residual {Shape.Format(residual.Shape)} must have the input's shape {Shape.Format(x.Shape)}");
            }

            x.CheckSameDType(residual, "batch_norm_act residual");
        }

        return BatchNormChecked(x, runningMean, runningVar, weight, bias, training, momentum, eps, residual, relu);
    }

    // A per-channel BatchNorm tensor (running stats, weight, bias) for an input of this dtype and shape with c channels.
    internal static void CheckChannelParam(DType dtype, int[] inputShape, Tensor? p, int c, string name)
    {
        if (p is null)
        {
            return;
        }

        if (p.Rank != 1 || p.Shape[0] != c)
        {
            throw new ArgumentException($"batch_norm: {name} must be ({c},) for input {Shape.Format(inputShape)}, got {Shape.Format(p.Shape)}");
        }

        if (p.DType != dtype)
        {
            throw new ArgumentException($"batch_norm {name}: dtype mismatch {dtype.Name()} vs {p.DType.Name()}");
        }
    }

    private static Tensor BatchNormImpl<T>(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps, int n, int c, int s, Tensor? residual, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The kernels write every element of y and dx: float32 buffers skip the zero-fill.
        var y = UninitializedLike(x);
        var mean = new T[c];
        var variance = new T[c];
        var rstd = new T[c];
        if (!training)
        {
            // Copies: the backward must see the stats this forward used, whatever later steps do to the buffers.
            runningMean!.Data<T>().CopyTo(mean);
            runningVar!.Data<T>().CopyTo(variance);
        }

        T e = T.CreateChecked(eps);
        // Decided here, on the caller's thread (BatchNormSimd.Disable is an async-local scope).
        bool fused = typeof(T) == typeof(float) && BatchNormSimd.Supported;
        if (fused)
        {
            Rows.For(c, 3L * n * s, (c0, c1) => BatchNormSimd.Forward(x.Data<float>(), SpanCast.F32(ReadOf(weight)),
                SpanCast.F32(ReadOf(bias)), y.Data<float>(), SpanCast.F32(mean.AsSpan()), SpanCast.F32(variance.AsSpan()), SpanCast.F32(rstd.AsSpan()),
                n, c, s, c0, c1, training, float.CreateTruncating(e), SpanCast.F32(ReadOf(residual)), relu));
        }
        else
        {
            Rows.For(c, 3L * n * s, (c0, c1) => Norm.BatchNormForward<T>(x.Data<T>(), ReadOf(weight), ReadOf(bias), y.Data<T>(),
                mean, variance, rstd, n, c, s, c0, c1, training, e, ReadOf(residual), relu));
        }

        if (training && runningMean is not null)
        {
            // PyTorch: the running variance takes the unbiased estimate.
            T m = T.CreateChecked(momentum), keep = T.One - m;
            T unbias = T.CreateChecked((double)n * s / ((double)n * s - 1));
            var rm = runningMean.Data<T>();
            var rv = runningVar!.Data<T>();
            for (int ch = 0; ch < c; ch++)
            {
                rm[ch] = keep * rm[ch] + m * mean[ch];
                rv[ch] = keep * rv[ch] + m * variance[ch] * unbias;
            }
        }

        if (Autograd.ShouldRecord(x, weight, bias, residual))
        {
            Autograd.Record(y, relu || residual is not null ? "batch_norm_act" : "batch_norm", [x, weight, bias, residual], gz =>
            {
                // Through the ReLU (Tensor.Relu's backward, on the output) and the addition (the residual's
                // gradient is the sum's), then BatchNorm's backward.
                var dx = UninitializedLike(x);
                var dw = weight is { RequiresGrad: true } ? Tensor.Empty([c], x.DType) : null;
                var db = bias is { RequiresGrad: true } ? Tensor.Empty([c], x.DType) : null;
                bool residualGrad = residual is { RequiresGrad: true };
                if (fused)
                {
                    // One kernel: the ReLU's mask applied as the gradient is read (and written out only when the
                    // residual needs it).
                    var gr = relu && residualGrad ? UninitializedLike(x) : null;
                    Rows.For(c, 4L * n * s, (c0, c1) => BatchNormSimd.Backward(gz.Data<float>(), relu ? y.Data<float>() : [],
                        gr is null ? [] : gr.Data<float>(), x.Data<float>(), SpanCast.F32(ReadOf(weight)), SpanCast.F32(mean.AsSpan()), SpanCast.F32(rstd.AsSpan()),
                        dx.Data<float>(), SpanCast.F32(WriteOf(dw)), SpanCast.F32(WriteOf(db)), n, c, s, c0, c1, training));
                    return [x.RequiresGrad ? dx : null, dw, db, residualGrad ? (relu ? gr : gz) : null];
                }

                var g = relu ? Tensor.MapKernel(y, gz, default(ReluGradOp)) : gz;
                Rows.For(c, 4L * n * s, (c0, c1) => Norm.BatchNormBackward<T>(g.Data<T>(), x.Data<T>(), ReadOf(weight),
                    mean, rstd, dx.Data<T>(), WriteOf(dw), WriteOf(db), n, c, s, c0, c1, training));
                return [x.RequiresGrad ? dx : null, dw, db, residualGrad ? g : null];
            });
        }

        return y;

        static ReadOnlySpan<T> ReadOf(Tensor? t) => t is null ? [] : t.Data<T>();
        static Span<T> WriteOf(Tensor? t) => t is null ? [] : t.Data<T>();
        static Tensor UninitializedLike(Tensor t) =>
            t.DType == DType.Float32 ? TensorMemory.Uninitialized(t.Shape) : Tensor.Empty(t.Shape, t.DType);
    }

    /// <summary>
    /// Layer normalisation over the trailing <paramref name="normalizedShape"/> dims
    /// (<c>torch.nn.functional.layer_norm</c>): y = (x − mean)/√(var + eps)·weight + bias with the mean and the
    /// biased variance of each group of trailing elements. Fused forward and backward.
    /// </summary>
    /// <param name="x">(*, normalizedShape...).</param>
    /// <param name="normalizedShape">The trailing dims normalised over (at least one).</param>
    /// <param name="weight">Scale γ of shape <paramref name="normalizedShape"/>, or null (1).</param>
    /// <param name="bias">Shift β of shape <paramref name="normalizedShape"/>, or null (0).</param>
    /// <param name="eps">Added to the variance.</param>
    /// <returns>A tensor of <paramref name="x"/>'s shape.</returns>
    /// <exception cref="ArgumentException"><paramref name="normalizedShape"/> is not the trailing dims of
    /// <paramref name="x"/>, or a parameter's shape or type differs.</exception>
    [Differentiable("layer_norm")]
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias, double eps = 1e-5)
    {
        int k = normalizedShape.Length;
        if (k == 0 || k > x.Rank || !Shape.Equal(x.Shape.AsSpan(x.Rank - k), normalizedShape))
        {
            throw new ArgumentException(
                $"layer_norm: normalizedShape {Shape.Format(normalizedShape)} is not the trailing dims of input {Shape.Format(x.Shape)}");
        }

        foreach (var (p, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (p is not null && !Shape.Equal(p.Shape, normalizedShape))
            {
                throw new ArgumentException(
                    $"layer_norm: {name} {Shape.Format(p.Shape)} must have normalizedShape {Shape.Format(normalizedShape)}");
            }

            if (p is not null)
            {
                x.CheckSameDType(p, "layer_norm " + name);
            }
        }

        int d = Shape.Numel(normalizedShape);
        int rows = Shape.Numel(x.Shape.AsSpan(0, x.Rank - k));
        return x.DType == DType.Float32
            ? LayerNormImpl<float>(x, weight, bias, eps, rows, d)
            : LayerNormImpl<double>(x, weight, bias, eps, rows, d);
    }

    private static Tensor LayerNormImpl<T>(Tensor x, Tensor? weight, Tensor? bias, double eps, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Tensor.Empty(x.Shape, x.DType);
        var mean = new T[rows];
        var rstd = new T[rows];
        T e = T.CreateChecked(eps);
        Rows.For(rows, 4L * d, (m0, m1) => Norm.LayerNormForward<T>(
            x.Data<T>().Slice(m0 * d, (m1 - m0) * d), ReadOf(weight), ReadOf(bias), y.Data<T>().Slice(m0 * d, (m1 - m0) * d),
            mean.AsSpan(m0, m1 - m0), rstd.AsSpan(m0, m1 - m0), m1 - m0, d, e));

        if (Autograd.ShouldRecord(x, weight, bias))
        {
            Autograd.Record(y, "layer_norm", [x, weight, bias], g =>
            {
                Tensor? dx = null, dw = null, db = null;
                if (x.RequiresGrad)
                {
                    dx = Tensor.Empty(x.Shape, x.DType);
                    Rows.For(rows, 6L * d, (m0, m1) => Norm.LayerNormBackward<T>(
                        g.Data<T>().Slice(m0 * d, (m1 - m0) * d), x.Data<T>().Slice(m0 * d, (m1 - m0) * d), ReadOf(weight),
                        mean.AsSpan(m0, m1 - m0), rstd.AsSpan(m0, m1 - m0), dx.Data<T>().Slice(m0 * d, (m1 - m0) * d),
                        m1 - m0, d, new T[d]));
                }

                if (weight is { RequiresGrad: true } || bias is { RequiresGrad: true })
                {
                    // Summed over rows in row order, in one pass: deterministic for any thread count.
                    dw = weight is { RequiresGrad: true } ? Tensor.Zeros(weight.Shape, x.DType) : null;
                    db = bias is { RequiresGrad: true } ? Tensor.Zeros(bias.Shape, x.DType) : null;
                    Norm.LayerNormParamBackward<T>(g.Data<T>(), x.Data<T>(), mean, rstd,
                        dw is null ? [] : dw.Data<T>(), db is null ? [] : db.Data<T>(), rows, d, new T[d]);
                }

                return [dx, dw, db];
            });
        }

        return y;

        static ReadOnlySpan<T> ReadOf(Tensor? t) => t is null ? [] : t.Data<T>();
    }
}
