using System.Diagnostics;
using System.Text.Json;
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Engine.Optim;

using Offramp.Engine.IO;

namespace Offramp.Training;

public sealed partial class Trainer
{
    /// <summary>File of the final weights in the run directory.</summary>
    public const string FinalModelFile = "model.safetensors";

    /// <summary>File of the final EMA weights in the run directory.</summary>
    public const string FinalEmaFile = "model_ema.safetensors";

    /// <summary>The epoch log in the run directory.</summary>
    public const string LogFile = "log.jsonl";

    /// <summary>The effective config in the run directory.</summary>
    public const string ConfigFile = "config.json";

    // One optimizer step. Forward, loss and backward run in a TensorMemory step scope (activations are recycled when it
    // ends, so every number needed later is read inside); gradients, optimizer and EMA state live outside the arena,
    // so clipping, the update and the EMA run after the scope on persistent tensors.
    private void TrainStep(TrainBatch batch)
    {
        Schedule.Apply(Optimizer, GlobalStep);
        double lr = Optimizer.ParamGroups[^1].Lr;
        Model.Train();
        Optimizer.ZeroGrad(setToNone: false);
        int exits = Model.Exits.Count, n = batch.Labels.Length;
        var correct = new int[exits];
        double total;
        MultiExitLossResult r;
        using (TensorMemory.Step())
        {
            var outs = Model.ForwardAll(batch.Images);
            r = Loss.Compute(outs, batch.Labels, batch.SoftTargets);
            int bad = r.FirstNonFiniteExit();
            if (bad >= 0)
            {
                var name = Model.Exits[bad].Name;
                bool task = !double.IsFinite(r.ExitLosses[bad]);
                throw Diverged($"the {(task ? "loss" : "distillation loss")} of exit '{name}'",
                    task ? r.ExitLosses[bad] : r.DistillLosses![bad], name);
            }

            total = r.Total.Item();
            if (!double.IsFinite(total))
            {
                throw Diverged("the total loss", total, null);
            }

            r.Total.Backward();
            for (int k = 0; k < exits; k++)
            {
                correct[k] = Evaluator.CountCorrect(outs[k], batch.Labels);
            }
        }

        // With no clipping, an infinite bound measures the norm without scaling (coef = 1).
        double norm = GradClip.ClipGradNorm(_params, Config.GradClip ?? double.PositiveInfinity);
        if (!double.IsFinite(norm))
        {
            throw Diverged("the gradient norm", norm, null);
        }

        Optimizer.Step();
        Ema?.Update(GlobalStep);
        GlobalStep++;
        BatchInEpoch++;
        _acc.Samples += n;
        _acc.LossSum += n * total;
        _acc.LastLr = lr;
        for (int k = 0; k < exits; k++)
        {
            _acc.ExitLossSum[k] += n * r.ExitLosses[k];
            _acc.ExitDistillSum[k] += n * (r.DistillLosses?[k] ?? 0);
            _acc.ExitCorrect[k] += correct[k];
        }
    }

    private TrainingDivergedException Diverged(string what, double value, string? exitName) =>
        new(GlobalStep + 1, Epoch, BatchInEpoch, what, value, exitName, LastCheckpoint);

    private EpochLogEntry FinishEpoch(double trainSeconds, long samplesAtStart, Stopwatch clock)
    {
        EvalReport? heldOut = null, test = null;
        WithEvalWeights(() =>
        {
            if (_heldOut is not null)
            {
                _observer.OnEvaluate("heldout");
                heldOut = Evaluator.Evaluate(Model, _heldOut);
            }

            if (_test is not null)
            {
                _observer.OnEvaluate("test");
                test = Evaluator.Evaluate(Model, _test);
            }
        });

        var exits = Model.Exits;
        double samples = Math.Max(1, _acc.Samples);
        var entry = new EpochLogEntry
        {
            Epoch = Epoch + 1,
            GlobalStep = GlobalStep,
            Lr = _acc.LastLr,
            TrainLoss = _acc.LossSum / samples,
            TrainExitLoss = exits.ToDictionary(e => e.Name, e => _acc.ExitLossSum[e.Index] / samples),
            TrainExitDistill = Loss.Options.DistillAlpha > 0 && exits.Count > 1
                ? exits.SkipLast(1).ToDictionary(e => e.Name, e => _acc.ExitDistillSum[e.Index] / samples)
                : [],
            TrainExitAcc = exits.ToDictionary(e => e.Name, e => _acc.ExitCorrect[e.Index] / samples),
            EvalWeights = Ema is null ? "model" : "ema",
            Heldout = heldOut,
            Test = test,
            Seconds = clock.Elapsed.TotalSeconds,
            ImagesPerSec = (_acc.Samples - samplesAtStart) / Math.Max(trainSeconds, 1e-9),
        };
        File.AppendAllText(Path.Combine(RunDir, LogFile), JsonSerializer.Serialize(entry, LogJson) + "\n");
        Epoch++;
        BatchInEpoch = 0;
        _acc = NewAccumulators();
        _observer.OnEpochEnd(entry);
        return entry;
    }

    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<EpochLogEntry> LogJson { get; } =
        new TrainJsonContext(new JsonSerializerOptions(TrainJsonContext.Default.Options) { WriteIndented = false }).EpochLogEntry;

    /// <summary>Runs <paramref name="action"/> with the EMA weights in the model (when EMA is on), then puts the trained
    /// weights back exactly.</summary>
    private void WithEvalWeights(Action action)
    {
        if (Ema is null)
        {
            action();
            return;
        }

        StateDict saved;
        using (TensorMemory.Persistent())
        {
            saved = new StateDict();
            foreach (var e in Model.StateDict().Entries)
            {
                saved.Add(e.Key, e.Tensor.CloneData(), e.TorchDType);
            }
        }

        Ema.CopyTo(Model);
        try
        {
            action();
        }
        finally
        {
            Model.LoadStateDict(saved);
        }
    }

    private void StartFresh()
    {
        var checkpoints = Path.Combine(RunDir, Checkpoint.FolderName);
        if (Directory.Exists(checkpoints) && Directory.EnumerateFileSystemEntries(checkpoints).Any())
        {
            throw new InvalidOperationException(
                $"{RunDir} already holds a run with checkpoints; resume it or choose another output directory");
        }

        Directory.CreateDirectory(RunDir);
        TrainConfigLoader.Save(Config, Path.Combine(RunDir, ConfigFile));
        AtomicFile.WriteAllText(Path.Combine(RunDir, LogFile), "");
        SaveCheckpoint(); // step 0: a kill before the first periodic checkpoint can still resume
        _resumed = true;
    }

    private void ExportFinalWeights()
    {
        AtomicFile.WriteAllBytes(Path.Combine(RunDir, FinalModelFile), Checkpoint.Serialize(Model.StateDict()));
        if (Ema is not null)
        {
            AtomicFile.WriteAllBytes(Path.Combine(RunDir, FinalEmaFile), Checkpoint.Serialize(Ema.StateDict()));
        }
    }
}
