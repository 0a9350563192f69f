using Offramp.Engine;

namespace Offramp.Data;

/// <summary>The (N, C, H, W) dimensions of an image batch, validated once at a transform's boundary.</summary>
internal readonly record struct BatchShape(int N, int C, int H, int W)
{
    /// <summary>Values per image, C·H·W.</summary>
    public int ImageSize => C * H * W;

    /// <summary>Values per plane, H·W.</summary>
    public int Plane => H * W;

    /// <summary>Reads and checks the shape of a float32 (N, C, H, W) batch.</summary>
    /// <exception cref="ArgumentException">The tensor is not float32 of rank 4.</exception>
    public static BatchShape Of(Tensor batch, string op)
    {
        if (batch.Rank != 4 || batch.DType != DType.Float32)
        {
            throw new ArgumentException(
                $"{op}: expects a float32 (N, C, H, W) batch, got {Shape.Format(batch.Shape)} {batch.DType}",
                nameof(batch));
        }

        return new BatchShape(batch.Shape[0], batch.Shape[1], batch.Shape[2], batch.Shape[3]);
    }
}
