namespace Offramp.Engine;

/// <summary>Element type of a <see cref="Tensor"/>.</summary>
/// <remarks>
/// Offramp computes in <see cref="Float32"/>. <see cref="Float64"/> exists so that
/// <see cref="GradCheck"/> can run every op through the same code in double precision: float64 tensors
/// take the generic (reference) kernels, float32 tensors take the optimized ones.
/// </remarks>
public enum DType
{
    /// <summary>IEEE 754 single precision; the working type.</summary>
    Float32,

    /// <summary>IEEE 754 double precision; used by gradient checks and reference computations.</summary>
    Float64,
}

/// <summary>Helpers over <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>Size of one element in bytes.</summary>
    public static int SizeOf(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>PyTorch's name of the type (<c>torch.float32</c> → "float32").</summary>
    public static string Name(this DType dtype) => dtype == DType.Float32 ? "float32" : "float64";
}
