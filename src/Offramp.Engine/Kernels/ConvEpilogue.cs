using System.Numerics.Tensors;

namespace Offramp.Engine.Kernels;

/// <summary>
/// What an inference-mode convolution does to its output while it is still in cache: an eval-mode BatchNorm
/// (<c>((y − mean)·scale) + shift</c> per channel), then an added residual, then ReLU — each step optional. Every step
/// is the same element-wise operation, with the same per-channel operands and rounding, that the separate ops
/// (<see cref="Norm.BatchNormForward{T}"/> with running statistics, <c>Tensor.Add</c>, <c>Tensor.Relu</c>) make — after
/// a BatchNorm the rest runs in one pass (<c>Norm.AffineResidualRelu</c>, which BatchNorm's own forward uses too) —
/// and element-wise float arithmetic does not depend on where a slice starts, so the fused result is bit-identical to
/// running the ops one after another.
/// </summary>
/// <remarks>Pointers are to pinned or native memory that outlives the convolution call.</remarks>
internal readonly unsafe struct ConvEpilogue
{
    /// <summary>Per output channel: the running mean, scale = w/√(var + eps) and shift = bias; null for no BatchNorm.</summary>
    public readonly float* Mean, Scale, Shift;

    /// <summary>(N, O, OH, OW) tensor added after the BatchNorm, or null.</summary>
    public readonly float* Residual;

    /// <summary>max(·, 0) last (NaN propagates, as <c>Tensor.Relu</c>).</summary>
    public readonly bool Relu;

    public ConvEpilogue(float* mean, float* scale, float* shift, float* residual, bool relu)
    {
        Mean = mean;
        Scale = scale;
        Shift = shift;
        Residual = residual;
        Relu = relu;
    }

    /// <summary>True when the epilogue does nothing.</summary>
    public bool IsEmpty => Mean == null && Residual == null && !Relu;

    /// <summary>
    /// Applies the epilogue to <paramref name="count"/> values of output channel <paramref name="channel"/> of one
    /// image, starting at <paramref name="row"/>; <paramref name="offset"/> is the same position's flat index in the
    /// (N, O, OH, OW) output (where the residual is read).
    /// </summary>
    public void Apply(float* row, int count, int channel, nint offset)
    {
        var y = new Span<float>(row, count);
        if (Mean != null)
        {
            // ·scale, +shift, +residual and ReLU in one pass, as BatchNorm's own forward applies them.
            TensorPrimitives.Subtract(y, Mean[channel], y);
            Norm.AffineResidualRelu(y, Scale[channel], Shift[channel],
                Residual == null ? [] : new ReadOnlySpan<float>(Residual + offset, count), Relu);
            return;
        }

        if (Residual != null)
        {
            TensorPrimitives.Add(y, new ReadOnlySpan<float>(Residual + offset, count), y);
        }

        if (Relu)
        {
            TensorPrimitives.Max(y, 0f, y);
        }
    }

    /// <summary>Applies the epilogue to a whole (N, O, S) output, planes in parallel (for kernels with no tile hook).</summary>
    public void ApplyAll(float* y, int n, int o, int s)
    {
        if (IsEmpty)
        {
            return;
        }

        nint ya = (nint)y;
        var self = this;
        Parallelism.For(n * o, p => self.Apply((float*)ya + ((nint)p * s), s, p % o, (nint)p * s), 4L * s);
    }
}
