using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// A multi-exit reference model of the PyTorch peer benchmark (<c>../shared/bench/torch_bench.py</c>), built with
/// the same layer shapes, parameter counts and state-dict keys as the script's module, so weights could move
/// between the two and the timings compare like with like.
/// </summary>
/// <remarks>
/// Exits are numbered from 1. <see cref="ForwardExits"/> with <c>upto = k</c> runs the backbone only as far as
/// exit k needs (the script's <c>model(x, upto=k)</c>), which is what the "exit-1 only" figures time.
/// </remarks>
public abstract class BenchModel : Module
{
    /// <summary>Records the input geometry the model is built for.</summary>
    private protected BenchModel(BenchInput input, int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        Input = input;
        NumClasses = numClasses;
    }

    /// <summary>The input geometry the model is built for (the peer's <c>in_shape</c>).</summary>
    public BenchInput Input { get; }

    /// <summary>Classes K of every exit.</summary>
    public int NumClasses { get; }

    /// <summary>Number of exits E.</summary>
    public abstract int ExitCount { get; }

    /// <summary>
    /// Runs exits 1..<paramref name="upto"/> (all exits when null) on x: (N, C, H, W) and returns their logits,
    /// (N, K) each.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> does not have the model's input shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="upto"/> is outside [1, <see cref="ExitCount"/>].</exception>
    public BenchExitOutputs ForwardExits(Tensor x, int? upto = null)
    {
        if (x.Rank != 4 || x.Shape[1] != Input.Channels || x.Shape[2] != Input.Height || x.Shape[3] != Input.Width)
        {
            throw new ArgumentException($"{GetType().Name} expects (N, {Input.Channels}, {Input.Height}, {Input.Width}), " +
                $"got input {Engine.Shape.Format(x.Shape)}");
        }

        int k = upto ?? ExitCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(upto));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, ExitCount, nameof(upto));
        return new BenchExitOutputs(RunExits(x, k));
    }

    /// <summary>The logits of the last exit (all exits run): x: (N, C, H, W) → (N, K).</summary>
    public override Tensor Forward(Tensor x) => ForwardExits(x).Last;

    /// <summary>Runs exits 1..<paramref name="upto"/>; the input is already validated.</summary>
    private protected abstract IReadOnlyList<Tensor> RunExits(Tensor x, int upto);

    /// <summary>The parameters exit <paramref name="exit"/> depends on (the script's <c>parts_upto(k)</c>), possibly repeated.</summary>
    private protected abstract IEnumerable<Tensor> ParametersUpToExit(int exit);

    /// <summary>Multiply-accumulates per image of the convolutions, linear layers and attention products of exits 1..E,
    /// one entry per exit (see <see cref="MacsPerExit"/>).</summary>
    private protected abstract long[] ComputeMacsPerExit();

    /// <summary>
    /// Parameter elements needed to produce exit <paramref name="exit"/> (backbone up to it and heads 1..k, each
    /// tensor counted once): the script's <c>nparams(model.parts_upto(k))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="exit"/> is outside [1, <see cref="ExitCount"/>].</exception>
    public long ParameterCountUpToExit(int exit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(exit, ExitCount);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        return ParametersUpToExit(exit).Where(seen.Add).Sum(p => (long)p.Numel);
    }

    /// <summary>
    /// Cumulative multiply-accumulates per image to produce exit k (backbone up to k plus heads 1..k), for k = 1..E:
    /// the script's <c>macs_upto_exit</c>. Counted from layer shapes as the script's hooks count them: convolutions
    /// (O·OH·OW·C/groups·KH·KW), linear layers (rows·in·out) and the two attention products (2·H·T·S·D);
    /// norms, activations, softmax and additions are not counted.
    /// </summary>
    public long[] MacsPerExit() => ComputeMacsPerExit();
}
