namespace Offramp.Engine;

public sealed partial class Tensor
{
    private bool _requiresGrad;

    /// <summary>
    /// Whether gradients flow to this tensor. Set on leaves (parameters, inputs); an op's output requires grad
    /// exactly when it has a <see cref="GradFn"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set on a non-leaf tensor.</exception>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
            {
                throw new InvalidOperationException("RequiresGrad can only be set on leaf tensors; use Detach() first");
            }

            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf (or of a non-leaf after <see cref="RetainGrad"/>).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that produced this tensor, or null for a leaf.</summary>
    public GradNode? GradFn { get; internal set; }

    /// <summary>True for tensors not produced by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    internal bool RetainsGrad { get; private set; }

    /// <summary>Asks <see cref="Backward(Tensor?)"/> to keep this non-leaf tensor's gradient in <see cref="Grad"/>.</summary>
    public Tensor RetainGrad()
    {
        RetainsGrad = true;
        return this;
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (<c>requires_grad_()</c>).</summary>
    public Tensor WithGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>A tensor sharing this storage but cut from the graph (<c>detach()</c>).</summary>
    public Tensor Detach() => ViewAs(Shape);

    /// <summary>
    /// Back-propagates from this tensor. Without <paramref name="gradient"/> the tensor must hold one element
    /// and the seed is 1. Gradients accumulate into the <see cref="Grad"/> of every leaf that requires grad.
    /// </summary>
    /// <exception cref="ArgumentException">The gradient's shape differs, or no gradient is given for a non-scalar.</exception>
    public void Backward(Tensor? gradient = null)
    {
        if (gradient is null)
        {
            if (Numel != 1)
            {
                throw new ArgumentException($"Backward() without a gradient needs a one-element tensor, got {Engine.Shape.Format(Shape)}");
            }

            gradient = Full(Shape, 1.0, DType);
        }
        else if (!Engine.Shape.Equal(gradient.Shape, Shape))
        {
            throw new ArgumentException($"Backward: gradient {Engine.Shape.Format(gradient.Shape)} for tensor {Engine.Shape.Format(Shape)}");
        }

        Autograd.Backward(this, gradient);
    }
}
