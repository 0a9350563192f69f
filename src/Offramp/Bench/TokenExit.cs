using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>How a <see cref="TokenExit"/> reduces the tokens to one vector.</summary>
public enum TokenPool
{
    /// <summary>Take token 0 (the CLS token).</summary>
    Cls,

    /// <summary>Average over the tokens.</summary>
    Mean,
}

/// <summary>
/// The token exit head of <c>torch_bench.py</c> (<c>TokenExit</c>): LayerNorm over every token, then the CLS
/// token (or the token mean) through one Linear. Children <c>norm</c>, <c>fc</c>.
/// </summary>
public sealed class TokenExit : Module
{
    /// <summary>Creates the head; the classifier is initialised from <paramref name="rng"/>.</summary>
    public TokenExit(int dim, int numClasses, Rng rng, TokenPool pool = TokenPool.Cls)
    {
        Pool = pool;
        Norm = RegisterModule("norm", new LayerNorm(dim));
        Fc = RegisterModule("fc", new Linear(dim, numClasses, rng));
    }

    /// <summary>Token reduction.</summary>
    public TokenPool Pool { get; }

    /// <summary>Norm over the width (applied to every token, as the script does).</summary>
    public LayerNorm Norm { get; }

    /// <summary>The classifier (D → K).</summary>
    public Linear Fc { get; }

    /// <summary>x: (B, T, D) → (B, K).</summary>
    public override Tensor Forward(Tensor x)
    {
        x = Norm.Forward(x);
        var pooled = Pool == TokenPool.Cls ? x.Narrow(1, 0, 1).Reshape(x.Shape[0], x.Shape[2]) : x.Mean([1]);
        return Fc.Forward(pooled);
    }
}
