namespace Offramp.Engine;

// CONTRACT STUBS (owner: element-wise/movement/reduction work). The owner implements each in the proper
// partial file (Tensor.Math.cs, Tensor.Activations.cs, Tensor.Movement.cs, Tensor.Reduce.cs, Tensor.Index.cs)
// and deletes this file. Other code may call these signatures now.
public sealed partial class Tensor
{
    private static NotImplementedException Todo(string op) => new($"Tensor.{op} is not implemented yet");

    // ---- element-wise math
    public Tensor Pow(double exponent) => throw Todo(nameof(Pow));
    public Tensor Pow(Tensor exponent) => throw Todo(nameof(Pow));
    public Tensor Exp() => throw Todo(nameof(Exp));
    public Tensor Log() => throw Todo(nameof(Log));
    public Tensor Sqrt() => throw Todo(nameof(Sqrt));
    public Tensor Abs() => throw Todo(nameof(Abs));
    public Tensor Clamp(double? min, double? max) => throw Todo(nameof(Clamp));
    public Tensor Minimum(Tensor other) => throw Todo(nameof(Minimum));
    public Tensor Maximum(Tensor other) => throw Todo(nameof(Maximum));

    // ---- activations
    public Tensor Relu() => throw Todo(nameof(Relu));
    public Tensor Gelu(bool tanhApproximation = false) => throw Todo(nameof(Gelu));
    public Tensor Silu() => throw Todo(nameof(Silu));
    public Tensor Sigmoid() => throw Todo(nameof(Sigmoid));
    public Tensor Tanh() => throw Todo(nameof(Tanh));
    public Tensor Hardswish() => throw Todo(nameof(Hardswish));
    public Tensor Hardsigmoid() => throw Todo(nameof(Hardsigmoid));
    public Tensor Elu(double alpha = 1.0) => throw Todo(nameof(Elu));

    // ---- movement
    public Tensor Permute(params int[] dims) => throw Todo(nameof(Permute));
    public Tensor Transpose(int dim0, int dim1) => throw Todo(nameof(Transpose));
    public Tensor Narrow(int axis, int start, int length) => throw Todo(nameof(Narrow));
    public Tensor IndexSelect(int axis, int[] index) => throw Todo(nameof(IndexSelect));
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int axis = 0) => throw Todo(nameof(Cat));
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis = 0) => throw Todo(nameof(Stack));
    public Tensor Flatten(int startDim = 0, int endDim = -1) => throw Todo(nameof(Flatten));
    public Tensor Unsqueeze(int axis) => throw Todo(nameof(Unsqueeze));
    public Tensor Squeeze(int axis) => throw Todo(nameof(Squeeze));

    // ---- reductions
    public Tensor Var(int[]? axes, bool keepDim = false, int correction = 1) => throw Todo(nameof(Var));
    public Tensor Max(int axis, bool keepDim = false) => throw Todo(nameof(Max));
    public Tensor Min(int axis, bool keepDim = false) => throw Todo(nameof(Min));
    public int[] ArgMax(int axis) => throw Todo(nameof(ArgMax));
    public Tensor LogSumExp(int[] axes, bool keepDim = false) => throw Todo(nameof(LogSumExp));
}
