namespace Offramp.Engine.Kernels;

/// <summary>
/// Loss kernels: cross-entropy fused with log-softmax (hard and soft targets, label smoothing as PyTorch), and
/// the pointwise KL, squared and absolute errors. Gradients take the upstream gradient <c>g</c> either per
/// element (length n) or as one value for all (length 1: a reduced loss with its reduction factor folded in).
/// </summary>
internal static class Loss
{
    // logits, logp: (N, K) → logp = log_softmax(logits) per row; the losses below read it, and the backward
    // keeps it (softmax = exp(logp)).
    public static void LogSoftmaxRows<T>(ReadOnlySpan<T> logits, Span<T> logp, int rows, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            Softmax.Row<T>(logits.Slice(r * k, k), logp.Slice(r * k, k), log: true);
        }
    }

    // logp: (N, K), targets: (N) class indices in [0, K) → loss: (N).
    // PyTorch label smoothing: loss = (1 − ε)·(−logp[t]) + ε·mean_k(−logp[k]).
    public static void CrossEntropyForward<T>(ReadOnlySpan<T> logp, ReadOnlySpan<int> targets, Span<T> loss, int rows, int k, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T kk = T.CreateChecked(k);
        for (int r = 0; r < rows; r++)
        {
            var lr = logp.Slice(r * k, k);
            T nll = -lr[targets[r]];
            loss[r] = eps == T.Zero ? nll : (T.One - eps) * nll - eps * TensorPrimitives.Sum(lr) / kk;
        }
    }

    // logp, dlogits: (N, K), targets: (N), g: (N) or (1) → dlogits = g·(softmax − (1 − ε)·onehot(t) − ε/K).
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> logp, ReadOnlySpan<int> targets, ReadOnlySpan<T> g,
        Span<T> dlogits, int rows, int k, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T smooth = eps / T.CreateChecked(k);
        for (int r = 0; r < rows; r++)
        {
            var dr = dlogits.Slice(r * k, k);
            TensorPrimitives.Exp(logp.Slice(r * k, k), dr);
            if (eps != T.Zero)
            {
                TensorPrimitives.Subtract(dr, smooth, dr);
            }

            dr[targets[r]] -= T.One - eps;
            TensorPrimitives.Multiply(dr, g[g.Length == 1 ? 0 : r], dr);
        }
    }

    // logp, targets: (N, K) soft targets → loss: (N). With t' = (1 − ε)·t + ε/K: loss = −Σ_k t'_k·logp_k.
    public static void SoftCrossEntropyForward<T>(ReadOnlySpan<T> logp, ReadOnlySpan<T> targets, Span<T> loss, int rows, int k, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T kk = T.CreateChecked(k);
        for (int r = 0; r < rows; r++)
        {
            var lr = logp.Slice(r * k, k);
            T l = -TensorPrimitives.Dot(targets.Slice(r * k, k), lr);
            loss[r] = eps == T.Zero ? l : (T.One - eps) * l - eps * TensorPrimitives.Sum(lr) / kk;
        }
    }

    // logp, targets: (N, K), g: (N) or (1) → dlogits = g·(Σt'·softmax − t'), dtargets = −g·(1 − ε)·logp
    // (either may be empty to skip it). Σt' = (1 − ε)·Σt + ε, exact even when the targets do not sum to 1.
    public static void SoftCrossEntropyBackward<T>(ReadOnlySpan<T> logp, ReadOnlySpan<T> targets, ReadOnlySpan<T> g,
        Span<T> dlogits, Span<T> dtargets, int rows, int k, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keep = T.One - eps, smooth = eps / T.CreateChecked(k);
        for (int r = 0; r < rows; r++)
        {
            T gr = g[g.Length == 1 ? 0 : r];
            var lr = logp.Slice(r * k, k);
            var tr = targets.Slice(r * k, k);
            if (!dlogits.IsEmpty)
            {
                var dr = dlogits.Slice(r * k, k);
                T total = keep * TensorPrimitives.Sum(tr) + eps;
                TensorPrimitives.Exp(lr, dr);
                TensorPrimitives.Multiply(dr, total, dr);
                TensorPrimitives.MultiplyAdd(tr, -keep, dr, dr);
                TensorPrimitives.Subtract(dr, smooth, dr);
                TensorPrimitives.Multiply(dr, gr, dr);
            }

            if (!dtargets.IsEmpty)
            {
                TensorPrimitives.Multiply(lr, -keep * gr, dtargets.Slice(r * k, k));
            }
        }
    }

    // input (log-probabilities), target, loss: (n). torch kl_div pointwise:
    //   target probabilities:     t·(log t − x), and 0 where t = 0 (xlogy);
    //   target log-probabilities: exp(t)·(t − x).
    public static void KlDivForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, Span<T> loss, bool logTarget)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            loss[i] = logTarget ? T.Exp(t[i]) * (t[i] - x[i])
                : t[i] == T.Zero ? T.Zero : t[i] * (T.Log(t[i]) - x[i]);
        }
    }

    // x, t, dx, dt: (n) (dx or dt empty to skip); g: (n) or (1).
    //   target probabilities:     dx = −g·t,       dt = g·(log t + 1 − x), 0 where t = 0 (PyTorch's kl_div target backward)
    //   target log-probabilities: dx = −g·exp(t),  dt = g·exp(t)·(t + 1 − x)
    public static void KlDivBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, ReadOnlySpan<T> g, Span<T> dx, Span<T> dt, bool logTarget)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T gi = g[g.Length == 1 ? 0 : i];
            T w = logTarget ? T.Exp(t[i]) : t[i];
            if (!dx.IsEmpty)
            {
                dx[i] = -gi * w;
            }

            if (!dt.IsEmpty)
            {
                dt[i] = logTarget ? gi * w * (t[i] + T.One - x[i])
                    : t[i] == T.Zero ? T.Zero : gi * (T.Log(t[i]) + T.One - x[i]);
            }
        }
    }

    // x, y, loss: (n); squared (x − y)² or absolute |x − y|.
    public static void ErrorForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> loss, bool squared)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract(x, y, loss);
        if (squared)
        {
            TensorPrimitives.Multiply(loss, loss, loss);
        }
        else
        {
            TensorPrimitives.Abs<T>(loss, loss);
        }
    }

    // x, y, dx: (n); g: (n) or (1). squared: dx = 2·g·(x − y); absolute: dx = g·sign(x − y), sign(0) = 0 and
    // sign(NaN) = NaN (torch.sign). dy = −dx is left to the caller.
    public static void ErrorBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx, bool squared)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract(x, y, dx);
        if (squared)
        {
            T two = T.CreateChecked(2);
            if (g.Length == 1)
            {
                TensorPrimitives.Multiply(dx, two * g[0], dx);
            }
            else
            {
                TensorPrimitives.Multiply(dx, g, dx);
                TensorPrimitives.Multiply(dx, two, dx);
            }

            return;
        }

        for (int i = 0; i < dx.Length; i++)
        {
            T z = dx[i];
            T sign = z > T.Zero ? T.One : z < T.Zero ? -T.One : z == T.Zero ? T.Zero : T.NaN;
            dx[i] = sign * g[g.Length == 1 ? 0 : i];
        }
    }
}
