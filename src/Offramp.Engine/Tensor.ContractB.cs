namespace Offramp.Engine;

// CONTRACT STUBS (owner: GEMM/conv work). The owner implements these in Tensor.LinearAlgebra.cs and deletes this file.
public sealed partial class Tensor
{
    /// <summary>torch.matmul: 1-D/2-D/batched with broadcasting over leading dims.</summary>
    public Tensor MatMul(Tensor other) => throw new NotImplementedException("Tensor.MatMul is not implemented yet");
}
