using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// The transformer MLP of timm (<c>timm.layers.Mlp</c>): fc1 → act → drop1 → norm → fc2 → drop2, with children
/// named <c>fc1</c>, <c>act</c>, <c>drop1</c>, <c>norm</c>, <c>fc2</c>, <c>drop2</c> (keys <c>fc1.weight</c>,
/// <c>fc2.bias</c>, …). <c>norm</c> is an <see cref="Identity"/> unless a norm layer is given.
/// </summary>
public sealed class Mlp : Module
{
    /// <summary>Creates the block; linear layers are initialised and dropout masks drawn from <paramref name="rng"/>.</summary>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="rng">Initialisation and dropout randomness.</param>
    /// <param name="hiddenFeatures">Hidden width (default: <paramref name="inFeatures"/>).</param>
    /// <param name="outFeatures">Output width (default: <paramref name="inFeatures"/>).</param>
    /// <param name="actLayer">Activation factory (default: exact <see cref="GELU"/>).</param>
    /// <param name="normLayer">Norm over the hidden width, or null for none.</param>
    /// <param name="bias">Biases of fc1 and fc2.</param>
    /// <param name="drop">Dropout probability after the activation and after fc2.</param>
    public Mlp(int inFeatures, Rng rng, int? hiddenFeatures = null, int? outFeatures = null, Func<Module>? actLayer = null,
        Func<int, Module>? normLayer = null, bool bias = true, double drop = 0.0)
    {
        int hidden = hiddenFeatures ?? inFeatures;
        int outF = outFeatures ?? inFeatures;
        Fc1 = RegisterModule("fc1", new Linear(inFeatures, hidden, rng, bias));
        Act = RegisterModule("act", actLayer?.Invoke() ?? new GELU());
        Drop1 = RegisterModule("drop1", new Dropout(drop, rng));
        Norm = RegisterModule("norm", normLayer?.Invoke(hidden) ?? new Identity());
        Fc2 = RegisterModule("fc2", new Linear(hidden, outF, rng, bias));
        Drop2 = RegisterModule("drop2", new Dropout(drop, rng));
    }

    /// <summary>in → hidden.</summary>
    public Linear Fc1 { get; }

    /// <summary>Activation.</summary>
    public Module Act { get; }

    /// <summary>Dropout after the activation.</summary>
    public Dropout Drop1 { get; }

    /// <summary>Norm over the hidden width (Identity by default).</summary>
    public Module Norm { get; }

    /// <summary>hidden → out.</summary>
    public Linear Fc2 { get; }

    /// <summary>Dropout after fc2.</summary>
    public Dropout Drop2 { get; }

    /// <summary>x: (..., in) → (..., out).</summary>
    /// <exception cref="ArgumentException">The last dimension is not the input width.</exception>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// x: (..., in) → residual + MLP(x) when <paramref name="residual"/> (the output's shape) is given, else MLP(x).
    /// Without a recorded graph (inference) and with exact GELU, no norm and no active dropout, fc1's GELU and the
    /// residual are applied to fc2's GEMM tiles as they are written (<see cref="F.LinearEpilogue"/>), bit-identical to
    /// the separate ops.
    /// </summary>
    /// <exception cref="ArgumentException">The last dimension is not the input width, or the residual's shape is not
    /// the output's.</exception>
    public Tensor Forward(Tensor x, Tensor? residual)
    {
        bool dropsOff = !Training || (Drop1.P == 0 && Drop2.P == 0);
        if (dropsOff && Act is GELU { Approximate: "none" } && Norm is Identity && !Autograd.ShouldRecord(x, Fc1.Weight, Fc2.Weight))
        {
            var h = F.LinearEpilogue(x, Fc1.Weight, Fc1.Bias, gelu: true);
            return F.LinearEpilogue(h, Fc2.Weight, Fc2.Bias, residual);
        }

        var y = Drop2.Forward(Fc2.Forward(Norm.Forward(Drop1.Forward(Act.Forward(Fc1.Forward(x))))));
        return residual is null ? y : residual.Add(y);
    }
}
