using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Benchmarks;

/// <summary>Operands of one conv2d shape: the engine's op (forward; forward + backward) and the naive reference.</summary>
public sealed class ConvState
{
    private readonly ConvShape _s;
    private readonly Tensor _x, _w, _b, _gy;
    private readonly float[] _y, _gx, _gw;

    public ConvState(ConvShape s)
    {
        _s = s;
        var rng = new Rng(1);
        _x = Tensor.Randn(rng, [s.N, s.C, s.H, s.W]);
        _w = Tensor.Randn(rng, [s.O, s.C / s.Groups, s.K, s.K]).Mul(0.1);
        _b = Tensor.Randn(rng, [s.O]);
        _gy = Tensor.Randn(rng, [s.N, s.O, s.OH, s.OW]);
        _y = new float[_gy.Numel];
        _gx = new float[_x.Numel];
        _gw = new float[_w.Numel];
    }

    public void Forward()
    {
        using (Autograd.NoGrad())
        {
            F.Conv2d(_x, _w, _b, _s.Stride, _s.Padding, 1, _s.Groups);
        }
    }

    /// <summary>Forward with graph, then backward to x, w and b (about 3× the forward's flops).</summary>
    public void ForwardBackward()
    {
        var x = _x.Detach().WithGrad();
        var w = _w.Detach().WithGrad();
        var b = _b.Detach().WithGrad();
        F.Conv2d(x, w, b, _s.Stride, _s.Padding, 1, _s.Groups).Backward(_gy);
    }

    /// <summary>The three kernels alone (no autograd, no allocation): forward, input gradient, weight gradient.</summary>
    public void KernelForward() => Offramp.Engine.Kernels.Conv.Forward(_x.Span, _w.Span, default, _y, Geometry);

    /// <summary>The forward kernel with the weights packed once (<see cref="FrozenWeights"/>; call it inside a scope).</summary>
    public void KernelForwardFrozen() => Offramp.Engine.Kernels.Conv.Forward(_x.Span, _w.Span, default, _y, Geometry,
        prepacked: Offramp.Engine.Kernels.Conv.PackedWeights(_w, Geometry));

    /// <inheritdoc cref="KernelForward"/>
    public void KernelInputGrad() => Offramp.Engine.Kernels.Conv.BackwardInput(_gy.Span, _w.Span, _gx, Geometry);

    /// <inheritdoc cref="KernelForward"/>
    public void KernelWeightGrad() => Offramp.Engine.Kernels.Conv.BackwardWeight(_x.Span, _gy.Span, _gw, Geometry);

    private Offramp.Engine.Kernels.ConvGeometry Geometry =>
        new(_s.N, _s.C, _s.H, _s.W, _s.O, _s.K, _s.K, (_s.Stride, _s.Stride), (_s.Padding, _s.Padding), (1, 1), _s.Groups);

    public void Reference() => ConvReference.Forward<float>(_x.Span, _w.Span, _b.Span, _y,
        new(_s.N, _s.C, _s.H, _s.W, _s.O, _s.K, _s.K, (_s.Stride, _s.Stride), (_s.Padding, _s.Padding), (1, 1), _s.Groups));
}
