using System.Globalization;
using System.Text;

namespace Offramp.Engine;

/// <summary>
/// Finite-difference gradient check in float64, as <c>torch.autograd.gradcheck</c>: the full Jacobian from
/// central differences is compared with the one back-propagation gives, one output element at a time.
/// </summary>
/// <remarks>
/// Every op runs in float64 through the same code as in float32 (generic kernels; the optimized float32
/// kernels are checked separately against their reference twins), so this checks each backward rule.
/// Defaults are PyTorch's: eps 1e-6, atol 1e-5, rtol 1e-3. The function must be deterministic: an op that
/// draws random numbers must create its <see cref="Rng"/> inside <c>f</c> from a fixed seed.
/// </remarks>
public static class GradCheck
{
    /// <summary>Outcome of a check: whether it passed, the largest error seen, and a readable report.</summary>
    public sealed record Result(bool Passed, double MaxAbsError, string Report);

    /// <summary>
    /// Checks <paramref name="f"/> at <paramref name="inputs"/> (float64 tensors; those with
    /// <see cref="Tensor.RequiresGrad"/> are differentiated).
    /// </summary>
    /// <exception cref="ArgumentException">An input is not float64, or no input requires grad.</exception>
    public static Result Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        foreach (var t in inputs)
        {
            if (t.DType != DType.Float64)
            {
                throw new ArgumentException($"GradCheck needs float64 inputs, got {t.DType.Name()} {Shape.Format(t.Shape)}");
            }
        }

        var checkedInputs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        if (checkedInputs.Length == 0)
        {
            throw new ArgumentException("GradCheck: no input requires grad");
        }

        Tensor y0;
        using (Autograd.NoGrad())
        {
            y0 = f(inputs);
        }

        if (y0.DType != DType.Float64)
        {
            throw new ArgumentException($"GradCheck: f returned {y0.DType.Name()}; every op must keep float64");
        }

        int m = y0.Numel;
        var report = new StringBuilder();
        double maxErr = 0;
        bool ok = true;
        foreach (int i in checkedInputs)
        {
            var x = inputs[i].Data<double>();
            int n = x.Length;
            var numeric = new double[n, m];
            for (int j = 0; j < n; j++)
            {
                double orig = x[j];
                double[] plus, minus;
                using (Autograd.NoGrad())
                {
                    x[j] = orig + eps;
                    plus = f(inputs).ToDoubleArray();
                    x[j] = orig - eps;
                    minus = f(inputs).ToDoubleArray();
                }

                x[j] = orig;
                for (int k = 0; k < m; k++)
                {
                    numeric[j, k] = (plus[k] - minus[k]) / (2 * eps);
                }
            }

            var analytic = new double[n, m];
            for (int k = 0; k < m; k++)
            {
                foreach (var t in inputs)
                {
                    t.Grad = null;
                }

                var y = f(inputs);
                if (!y.RequiresGrad)
                {
                    return new Result(false, double.PositiveInfinity, "output does not require grad: the op recorded no graph");
                }

                var seed = Tensor.Zeros(y.Shape, DType.Float64);
                seed.SetFlat(k, 1.0);
                y.Backward(seed);
                var g = inputs[i].Grad;
                for (int j = 0; j < n; j++)
                {
                    analytic[j, k] = g is null ? 0.0 : g.GetFlat(j);
                }
            }

            int shown = 0;
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < m; k++)
                {
                    double a = analytic[j, k], nu = numeric[j, k];
                    double err = Math.Abs(a - nu);
                    maxErr = Math.Max(maxErr, err);
                    if (!(err <= atol + rtol * Math.Abs(nu)))
                    {
                        ok = false;
                        if (shown++ < 8)
                        {
                            report.AppendLine(CultureInfo.InvariantCulture,
                                $"input {i} {Shape.Format(inputs[i].Shape)} element {j}, output element {k}: analytic {a:G9} numeric {nu:G9} (|diff| {err:G3})");
                        }
                    }
                }
            }
        }

        foreach (var t in inputs)
        {
            t.Grad = null;
        }

        report.Insert(0, ok ? $"passed (max |diff| {maxErr:G3})\n" : $"FAILED (max |diff| {maxErr:G3})\n");
        return new Result(ok, maxErr, report.ToString());
    }
}
