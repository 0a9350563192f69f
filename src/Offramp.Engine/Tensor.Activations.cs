using Offramp.Engine.Kernels;

namespace Offramp.Engine;

/// <summary>Activation functions with PyTorch's forward formulas and backward rules (boundaries included).</summary>
public sealed partial class Tensor
{
    /// <summary>max(x, 0) element-wise (<c>torch.relu</c>); NaN propagates; the gradient at 0 is 0.</summary>
    [Differentiable("relu")]
    public Tensor Relu()
    {
        var r = UnaryKernel<ReluOp>();
        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "relu", [this], g => [MapKernel(r, g, default(ReluGradOp))]);
        }

        return r;
    }

    /// <summary>
    /// GELU (<c>torch.nn.functional.gelu</c>). Exact form 0.5·x·(1 + erf(x/√2)) by default; with
    /// <paramref name="tanhApproximation"/> (PyTorch's <c>approximate='tanh'</c>)
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    /// </summary>
    /// <remarks>float32 uses a SIMD erf a few ulp from exact; float64 uses Cody's erf to machine precision.</remarks>
    [Differentiable("gelu")]
    public Tensor Gelu(bool tanhApproximation = false)
    {
        var r = tanhApproximation ? MapKernel(default(GeluTanhOp)) : MapKernel(default(GeluOp));
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "gelu", [x], g => [
                tanhApproximation ? MapKernel(x, g, default(GeluTanhGradOp)) : MapKernel(x, g, default(GeluGradOp))]);
        }

        return r;
    }

    /// <summary>SiLU / swish x·σ(x) (<c>torch.nn.functional.silu</c>).</summary>
    [Differentiable("silu")]
    public Tensor Silu()
    {
        var r = MapKernel(default(SiluOp));
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "silu", [x], g => [MapKernel(x, g, default(SiluGradOp))]);
        }

        return r;
    }

    /// <summary>Logistic sigmoid 1/(1 + e^(−x)) (<c>torch.sigmoid</c>).</summary>
    [Differentiable("sigmoid")]
    public Tensor Sigmoid()
    {
        var r = UnaryKernel<SigmoidOp>();
        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "sigmoid", [this], g => [MapKernel(r, g, default(SigmoidGradOp))]);
        }

        return r;
    }

    /// <summary>Hyperbolic tangent (<c>torch.tanh</c>).</summary>
    [Differentiable("tanh")]
    public Tensor Tanh()
    {
        var r = UnaryKernel<TanhOp>();
        if (Autograd.ShouldRecord(this))
        {
            Autograd.Record(r, "tanh", [this], g => [MapKernel(r, g, default(TanhGradOp))]);
        }

        return r;
    }

    /// <summary>Hardswish x·relu6(x + 3)/6 (<c>torch.nn.functional.hardswish</c>).</summary>
    /// <remarks>PyTorch's gradient: 0 for x &lt; −3, (2x + 3)/6 for −3 ≤ x ≤ 3, 1 for x &gt; 3.</remarks>
    [Differentiable("hardswish")]
    public Tensor Hardswish()
    {
        var r = MapKernel(default(HardswishOp));
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "hardswish", [x], g => [MapKernel(x, g, default(HardswishGradOp))]);
        }

        return r;
    }

    /// <summary>Hardsigmoid relu6(x + 3)/6 (<c>torch.nn.functional.hardsigmoid</c>).</summary>
    /// <remarks>PyTorch's gradient: 1/6 strictly inside (−3, 3), 0 elsewhere including ±3.</remarks>
    [Differentiable("hardsigmoid")]
    public Tensor Hardsigmoid()
    {
        var r = MapKernel(default(HardsigmoidOp));
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "hardsigmoid", [x], g => [MapKernel(x, g, default(HardsigmoidGradOp))]);
        }

        return r;
    }

    /// <summary>ELU: x for x &gt; 0, α·(eˣ − 1) otherwise (<c>torch.nn.functional.elu</c>).</summary>
    /// <remarks>Backward (PyTorch, from the input): α·eˣ·g for x ≤ 0, g otherwise.</remarks>
    [Differentiable("elu")]
    public Tensor Elu(double alpha = 1.0)
    {
        var r = MapKernel(new EluOp(alpha));
        if (Autograd.ShouldRecord(this))
        {
            var x = this;
            Autograd.Record(r, "elu", [x], g => [MapKernel(x, g, new EluGradOp(alpha))]);
        }

        return r;
    }
}
