namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Inverted dropout (<c>torch.nn.functional.dropout</c>): each element is zeroed with probability
    /// <paramref name="p"/> and the rest are scaled by 1/(1 − p), so the expectation is unchanged.
    /// </summary>
    /// <remarks>
    /// Returns <paramref name="x"/> itself when not training or when p = 0; returns zeros when p = 1. The mask is
    /// drawn from <paramref name="rng"/>, one <see cref="Rng.NextDouble"/> per element in row-major order (the same
    /// mask for float32 and float64), and kept for the backward: dx = dy ⊙ mask.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    [Differentiable("dropout")]
    public static Tensor Dropout(Tensor x, double p, bool training, Rng rng)
    {
        CheckProbability(p, "dropout");
        if (!training || p == 0)
        {
            return x;
        }

        var mask = Tensor.Zeros(x.Shape, x.DType); // p = 1 keeps it all zero
        if (p < 1)
        {
            ArgumentNullException.ThrowIfNull(rng);
            DrawKeepMask(mask, p, scale: 1.0 / (1.0 - p), rng);
        }

        return ApplyMask(x, mask, "dropout");
    }

    /// <summary>
    /// Stochastic depth (timm's <c>drop_path</c>): each sample (index along dim 0) is dropped whole with
    /// probability <paramref name="p"/>; kept samples are scaled by 1/(1 − p) when <paramref name="scaleByKeep"/>.
    /// </summary>
    /// <remarks>
    /// As timm: identity when not training or p = 0; the mask is one Bernoulli(1 − p) draw per sample
    /// (<see cref="Rng.NextDouble"/> in sample order), and the 1/(1 − p) scale is skipped when p = 1.
    /// Backward: dx = dy ⊙ mask.
    /// </remarks>
    /// <param name="x">(N, *) with N samples.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="training">Identity when false.</param>
    /// <param name="rng">The source of the per-sample draws.</param>
    /// <param name="scaleByKeep">Scale kept samples by 1/(1 − p).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a scalar.</exception>
    [Differentiable("drop_path")]
    public static Tensor DropPath(Tensor x, double p, bool training, Rng rng, bool scaleByKeep = true)
    {
        CheckProbability(p, "drop_path");
        if (!training || p == 0)
        {
            return x;
        }

        if (x.Rank == 0)
        {
            throw new ArgumentException("drop_path: input must have a sample dim (rank ≥ 1), got a scalar");
        }

        ArgumentNullException.ThrowIfNull(rng);
        double keep = 1.0 - p;
        double scale = keep > 0 && scaleByKeep ? 1.0 / keep : 1.0;
        int n = x.Shape[0];
        var sampleShape = new int[x.Rank];
        Array.Fill(sampleShape, 1);
        sampleShape[0] = n;
        var perSample = Tensor.Empty(sampleShape, x.DType);
        DrawKeepMask(perSample, p, scale, rng);
        Tensor mask;
        using (Autograd.NoGrad())
        {
            mask = perSample.Expand(x.Shape);
        }

        return ApplyMask(x, mask, "drop_path");
    }

    private static void CheckProbability(double p, string op)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"{op}: probability must be in [0, 1], got {p}");
        }
    }

    // mask[i] = scale when the element is kept (NextDouble() ≥ p, probability 1 − p), else 0.
    // The draws are doubles for both types, so float32 and float64 get the same mask from the same seed.
    private static void DrawKeepMask(Tensor mask, double p, double scale, Rng rng)
    {
        if (mask.DType == DType.Float32)
        {
            DrawKeepMask(mask.Span, p, (float)scale, rng);
        }
        else
        {
            DrawKeepMask(mask.Data<double>(), p, scale, rng);
        }
    }

    private static void DrawKeepMask<T>(Span<T> mask, double p, T scale, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = rng.NextDouble() >= p ? scale : T.Zero;
        }
    }

    // y = x ⊙ mask (same shapes); backward dy ⊙ mask.
    private static Tensor ApplyMask(Tensor x, Tensor mask, string op)
    {
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32)
        {
            TensorPrimitives.Multiply(x.Span, mask.Span, y.Span);
        }
        else
        {
            TensorPrimitives.Multiply(x.Data<double>(), mask.Data<double>(), y.Data<double>());
        }

        if (Autograd.ShouldRecord(x))
        {
            Autograd.Record(y, op, [x], g =>
            {
                var dx = Tensor.Empty(x.Shape, x.DType);
                if (x.DType == DType.Float32)
                {
                    TensorPrimitives.Multiply(g.Span, mask.Span, dx.Span);
                }
                else
                {
                    TensorPrimitives.Multiply(g.Data<double>(), mask.Data<double>(), dx.Data<double>());
                }

                return [dx];
            });
        }

        return y;
    }
}
