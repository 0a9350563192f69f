using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Per-channel standardisation, <c>x = (x − mean[c]) / std[c]</c>, in place (torchvision's <c>Normalize</c>).
/// </summary>
public sealed class Normalize : IBatchTransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates the transform for C channels.</summary>
    /// <param name="mean">Per-channel mean (length C).</param>
    /// <param name="std">Per-channel standard deviation (length C, each &gt; 0 and finite).</param>
    /// <exception cref="ArgumentException">Lengths differ or are zero, a std is not positive, or a value is not
    /// finite.</exception>
    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
        {
            throw new ArgumentException(
                $"Normalize: {mean.Length} means and {std.Length} stds; need one of each per channel");
        }

        for (int c = 0; c < mean.Length; c++)
        {
            if (!float.IsFinite(mean[c]) || !float.IsFinite(std[c]) || std[c] <= 0)
            {
                throw new ArgumentException(
                    $"Normalize: channel {c} has mean {mean[c]}, std {std[c]}; need finite values and std > 0");
            }
        }

        _mean = (float[])mean.Clone();
        _std = (float[])std.Clone();
    }

    /// <summary>Creates the transform for one channel (grey-scale images).</summary>
    public Normalize(float mean, float std)
        : this([mean], [std])
    {
    }

    /// <summary>Per-channel means.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Per-channel standard deviations.</summary>
    public IReadOnlyList<float> Std => _std;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The batch has another channel count than the transform.</exception>
    public Tensor Apply(Tensor batch, Rng rng)
    {
        var s = BatchShape.Of(batch, "Normalize");
        if (s.C != _mean.Length)
        {
            throw new ArgumentException(
                $"Normalize({_mean.Length} channels) got batch {Shape.Format(batch.Shape)}", nameof(batch));
        }

        var x = batch.Span;
        for (int n = 0; n < s.N; n++)
        {
            for (int c = 0; c < s.C; c++)
            {
                var plane = x.Slice((n * s.C + c) * s.Plane, s.Plane);
                TensorPrimitives.Subtract(plane, _mean[c], plane);
                TensorPrimitives.Divide(plane, _std[c], plane);
            }
        }

        return batch;
    }
}
