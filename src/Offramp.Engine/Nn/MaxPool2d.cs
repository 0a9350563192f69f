using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>Max pooling (<c>torch.nn.MaxPool2d</c>, no dilation, floor mode); padding counts as −∞.</summary>
public sealed class MaxPool2d : Module
{
    /// <summary>Creates the layer; <paramref name="stride"/> defaults to the kernel size, as PyTorch.</summary>
    /// <exception cref="ArgumentException">Non-positive kernel or stride, or padding over half the kernel.</exception>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        (KernelSize, Stride, Padding) = PoolArgs.Check("MaxPool2d", kernelSize, stride, padding);
    }

    /// <summary>Square window size.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Implicit padding on each side.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not 4-D.</exception>
    public override Tensor Forward(Tensor x) => F.MaxPool2d(PoolArgs.Check4d("MaxPool2d", x), KernelSize, Stride, Padding);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
