using Offramp.Engine;
using Offramp.Models;

namespace Offramp.Tests.Models;

/// <summary>
/// The contract every registered model keeps (DESIGN.md, "the multi-exit contract"): exit shapes and count,
/// gradients to every parameter, and the staged path with <see cref="ExitState.Keep"/> compaction giving the same
/// logits as <see cref="MultiExitModel.ForwardAll"/>. Small input (1×28×28, Fashion-MNIST's), small batch, width
/// 0.25 so the whole registry runs in seconds; a model is tested the moment it is registered.
/// </summary>
public class ModelMatrixTests
{
    private const double Atol = 1e-5;
    private const double Rtol = 1e-5;

    /// <summary>Every registered model × every exit head kind.</summary>
    public static TheoryData<string, string> Models()
    {
        var data = new TheoryData<string, string>();
        foreach (var e in ModelRegistry.All)
        {
            data.Add(e.Name, "linear");
            data.Add(e.Name, "sdn");
        }

        return data;
    }

    private static MultiExitModel Create(string name, string head) => ModelRegistry.Create(name, new ModelOptions
    {
        NumClasses = 5,
        InputShape = [1, 28, 28],
        WidthMultiplier = 0.25,
        Head = head,
        Seed = 7,
    });

    [Theory]
    [MemberData(nameof(Models))]
    public void ForwardAll_EveryExit_HasBatchByClassesLogits(string name, string head)
    {
        var model = Create(name, head);
        model.Eval();
        ExitOutputs outs;
        using (Autograd.NoGrad())
        {
            outs = model.ForwardAll(ModelAssert.Batch(1, 2, model.InputShape));
        }

        Assert.True(model.Exits.Count >= 2, $"{name}: {model.Exits.Count} exits");
        Assert.Equal(model.Exits.Count, outs.Count);
        for (int k = 0; k < outs.Count; k++)
        {
            Assert.Equal([2, 5], outs[k].Shape);
            Assert.Equal(k, model.Exits[k].Index);
            Assert.All(outs[k].ToArray(), v => Assert.True(float.IsFinite(v), $"{name} exit {k}: non-finite logit"));
        }

        Assert.True(model.ParameterCount() > 0);
        Assert.Equal(model.Exits.Count, model.Exits.Select(e => e.Name).Distinct().Count());
    }

    /// <summary>
    /// Eval mode without gradients takes the fused inference paths (e.g. conv → BatchNorm → residual → ReLU in one
    /// pass); with gradients recorded the same model runs the separate ops. The logits must be bit-identical, with
    /// BatchNorm running statistics and affine parameters that are not the identity.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void EvalForward_FusedInference_BitIdenticalToRecordedOps(string name, string head)
    {
        var model = Create(name, head);
        var rng = new Rng(41);
        foreach (var (bufferName, buffer) in model.NamedBuffers())
        {
            if (bufferName.EndsWith("running_mean", StringComparison.Ordinal))
            {
                Tensor.Randn(rng, buffer.Shape).Mul(0.1).CopyDataTo(buffer);
            }
            else if (bufferName.EndsWith("running_var", StringComparison.Ordinal))
            {
                Tensor.Rand(rng, buffer.Shape).Add(0.5).CopyDataTo(buffer);
            }
        }

        foreach (var p in model.Parameters().Where(p => p.Rank == 1))
        {
            p.Add(Tensor.Randn(rng, p.Shape).Mul(0.2)).CopyDataTo(p); // BatchNorm/LayerNorm affine, biases
        }

        model.Eval();
        var x = ModelAssert.Batch(4, 3, model.InputShape);
        ExitOutputs fused;
        using (Autograd.NoGrad())
        {
            fused = model.ForwardAll(x);
        }

        var recorded = model.ForwardAll(x.CloneData().WithGrad());
        for (int k = 0; k < fused.Count; k++)
        {
            Assert.True(fused[k].ToArray().AsSpan().SequenceEqual(recorded[k].ToArray()),
                $"{name}/{head} exit {k}: fused inference differs from the recorded ops");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Backward_SumOfEveryExit_ReachesEveryParameter(string name, string head)
    {
        var model = Create(name, head);
        var outs = model.ForwardAll(ModelAssert.Batch(2, 3, model.InputShape));
        var loss = outs.Logits.Select(l => l.Sum()).Aggregate((a, b) => a.Add(b));
        loss.Backward();
        var missing = model.NamedParameters().Where(p => p.Parameter.Grad is null).Select(p => p.Name).ToList();
        Assert.True(missing.Count == 0, $"{name}/{head}: no gradient for {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void RunToExit_WithKeepBetweenExits_MatchesForwardAllOnKeptRows(string name, string head)
    {
        const int n = 6;
        var model = Create(name, head);
        model.Eval();
        var x = ModelAssert.Batch(3, n, model.InputShape);
        using var _ = Autograd.NoGrad();
        var all = model.ForwardAll(x);

        var state = model.Start(x);
        int[] alive = [.. Enumerable.Range(0, n)];
        for (int k = 0; k < model.Exits.Count; k++)
        {
            var logits = model.RunToExit(state, k);
            ModelAssert.Close(all[k].IndexSelect(0, alive), logits, Atol, Rtol,
                $"{name}/{head} exit {k} rows [{string.Join(", ", alive)}]");
            if (k == model.Exits.Count - 1)
            {
                break;
            }

            // Drop the rows whose position plus the exit index is a multiple of 3, keeping at least one row.
            int[] keep = [.. Enumerable.Range(0, alive.Length).Where(i => (i + k) % 3 != 0)];
            if (keep.Length == 0)
            {
                keep = [alive.Length - 1];
            }

            state = state.Keep(keep);
            alive = [.. keep.Select(i => alive[i])];
            Assert.Equal(alive.Length, state.BatchSize);
            Assert.Equal(k + 1, state.ExitsDone);
        }
    }
}
