using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>Average pooling (<c>torch.nn.AvgPool2d</c>, floor mode).</summary>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer; <paramref name="stride"/> defaults to the kernel size, as PyTorch.</summary>
    /// <exception cref="ArgumentException">Non-positive kernel or stride, or padding over half the kernel.</exception>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true)
    {
        (KernelSize, Stride, Padding) = PoolArgs.Check("AvgPool2d", kernelSize, stride, padding);
        CountIncludePad = countIncludePad;
    }

    /// <summary>Square window size.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Implicit zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Whether padded zeros count in the divisor (PyTorch's default: true).</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not 4-D.</exception>
    public override Tensor Forward(Tensor x) =>
        F.AvgPool2d(PoolArgs.Check4d("AvgPool2d", x), KernelSize, Stride, Padding, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
