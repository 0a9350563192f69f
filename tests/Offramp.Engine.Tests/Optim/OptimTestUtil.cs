namespace Offramp.Engine.Tests.Optim;

/// <summary>
/// The inputs of the PyTorch reference runs. The expected values in the optimizer tests were printed by
/// PyTorch 1.13 (float64) with this script:
/// <code>
/// import torch; torch.set_default_dtype(torch.float64)
/// def grads(t, n): return torch.tensor([((i*7 + t*3) % 11 - 5) / 4.0 for i in range(n)])
/// def p0(n): return torch.tensor([(i - 2) * 0.25 + 0.1 for i in range(n)])
/// def run(make, steps=4, n=5):
///     p = p0(n).requires_grad_(True); opt = make([p])
///     for t in range(steps): p.grad = grads(t, n); opt.step()
///     return p.detach().tolist(), opt.state[p]
/// run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))  # etc.
/// </code>
/// </summary>
internal static class OptimTestUtil
{
    public static Tensor P0(int n, DType dtype = DType.Float64)
    {
        var p = Tensor.Zeros([n], dtype);
        for (int i = 0; i < n; i++)
        {
            p.SetFlat(i, (i - 2) * 0.25 + 0.1);
        }

        return p.WithGrad();
    }

    public static Tensor Grad(int t, int n, DType dtype = DType.Float64)
    {
        var g = Tensor.Zeros([n], dtype);
        for (int i = 0; i < n; i++)
        {
            g.SetFlat(i, ((i * 7 + t * 3) % 11 - 5) / 4.0);
        }

        return g;
    }

    /// <summary>Runs <paramref name="steps"/> steps of the reference schedule of gradients.</summary>
    public static void Run(Engine.Optim.Optimizer opt, Tensor p, int steps = 4, int from = 0)
    {
        for (int t = from; t < from + steps; t++)
        {
            p.Grad = Grad(t, p.Numel, p.DType);
            opt.Step();
        }
    }
}
