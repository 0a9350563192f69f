namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>Softmax along <paramref name="axis"/> (numerically stable: max subtracted).</summary>
    public static Tensor Softmax(Tensor x, int axis = -1) => throw Todo(nameof(Softmax));

    /// <summary>Log-softmax along <paramref name="axis"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => throw Todo(nameof(LogSoftmax));
}
