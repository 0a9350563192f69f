using System.Text.Json.Nodes;
using Offramp.Engine;
using Offramp.Engine.Nn;

using Offramp.Engine.IO;

namespace Offramp.Training;

public sealed partial class Trainer
{
    /// <summary>Config keys that may differ between a run and its resumption (they do not change the result).</summary>
    public static IReadOnlySet<string> ResumableKeys { get; } = new HashSet<string>(StringComparer.Ordinal) { "threads", "out", "data_dir" };

    /// <summary>Writes a checkpoint of the current position now (atomically; see <see cref="Checkpoint"/>).</summary>
    /// <returns>The checkpoint directory.</returns>
    /// <exception cref="IOException">Writing failed; the previous checkpoint stays the latest.</exception>
    public string SaveCheckpoint()
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [Checkpoint.ModelFile] = Checkpoint.Serialize(Model.StateDict()),
            [Checkpoint.OptimizerFile] = Checkpoint.Serialize(Optimizer.StateDict()),
        };
        if (Ema is not null)
        {
            files[Checkpoint.EmaFile] = Checkpoint.Serialize(Ema.StateDict());
        }

        var state = new CheckpointState
        {
            Format = CheckpointState.CurrentFormat,
            Files = [],
            Epoch = Epoch,
            BatchInEpoch = BatchInEpoch,
            GlobalStep = GlobalStep,
            BatchesPerEpoch = _train.BatchesPerEpoch,
            Rng = _rngs.ToDictionary(p => p.Key, p => p.Value.GetState()),
            Accumulators = _acc.Copy(),
            Config = Config,
        };
        LastCheckpoint = Checkpoint.Save(RunDir, state, files);
        _observer.OnCheckpoint(LastCheckpoint);
        return LastCheckpoint;
    }

    /// <summary>
    /// Restores the run's latest checkpoint (or <paramref name="checkpointDir"/>): model, optimizer, EMA, RNG states and
    /// position, so <see cref="Run"/> continues exactly where it stopped. Everything is verified first; on error nothing
    /// has changed.
    /// </summary>
    /// <param name="checkpointDir">A checkpoint directory, or null for the latest one of <see cref="RunDir"/>.</param>
    /// <returns>The checkpoint directory used.</returns>
    /// <exception cref="CheckpointException">No checkpoint, or it is truncated, corrupt, or from another model, config or
    /// data set; the message names the file and the reason.</exception>
    public string Resume(string? checkpointDir = null)
    {
        var dir = checkpointDir ?? Checkpoint.FindLatest(RunDir)
            ?? throw new CheckpointException(Path.Combine(RunDir, Checkpoint.FolderName), "the run has no checkpoint to resume from");
        var ck = Checkpoint.Load(dir);
        var s = ck.State;
        var statePath = Path.Combine(dir, Checkpoint.StateFile);
        CheckConfig(s.Config, statePath);
        if (s.BatchesPerEpoch != _train.BatchesPerEpoch)
        {
            throw new CheckpointException(statePath, $"was written with {s.BatchesPerEpoch} batches per epoch, the data now gives " +
                $"{_train.BatchesPerEpoch}: the data set changed");
        }

        if (s.Epoch < 0 || s.Epoch > Config.Epochs || s.BatchInEpoch < 0 || s.BatchInEpoch >= s.BatchesPerEpoch
            || s.GlobalStep != (long)s.Epoch * s.BatchesPerEpoch + s.BatchInEpoch)
        {
            throw new CheckpointException(statePath, $"has an inconsistent position (epoch {s.Epoch}, batch {s.BatchInEpoch}, step {s.GlobalStep})");
        }

        int exits = Model.Exits.Count;
        var a = s.Accumulators;
        if (a.ExitLossSum.Length != exits || a.ExitDistillSum.Length != exits || a.ExitCorrect.Length != exits)
        {
            throw new CheckpointException(statePath, $"holds statistics for another number of exits than the model's {exits}");
        }

        CheckTensors(ck.Model, Model.StateDict(), Path.Combine(dir, Checkpoint.ModelFile));
        if (Ema is not null)
        {
            CheckTensors(ck.Ema ?? throw new CheckpointException(statePath, "has no EMA weights but the config enables EMA"),
                Ema.StateDict(), Path.Combine(dir, Checkpoint.EmaFile));
        }

        if (!s.Rng.Keys.Order(StringComparer.Ordinal).SequenceEqual(_rngs.Keys.Order(StringComparer.Ordinal)))
        {
            throw new CheckpointException(statePath, $"saves RNGs [{string.Join(", ", s.Rng.Keys)}], the model has [{string.Join(", ", _rngs.Keys)}]");
        }

        foreach (var (name, words) in s.Rng)
        {
            if (words is null || words.Length != 4 || words.All(w => w == 0))
            {
                throw new CheckpointException(statePath, $"holds an invalid RNG state for '{name}'");
            }
        }

        // The optimizer validates its whole state before changing anything; everything else was checked above.
        try
        {
            Optimizer.LoadStateDict(ck.Optimizer);
        }
        catch (StateDictMismatchException e)
        {
            throw new CheckpointException(Path.Combine(dir, Checkpoint.OptimizerFile), e.Message, e);
        }

        Model.LoadStateDict(ck.Model);
        Ema?.LoadStateDict(ck.Ema!);
        foreach (var (name, words) in s.Rng)
        {
            _rngs[name].SetState(words);
        }

        Epoch = s.Epoch;
        BatchInEpoch = s.BatchInEpoch;
        GlobalStep = s.GlobalStep;
        _acc = a.Copy();
        LastCheckpoint = dir;
        TrimLog(s.Epoch);
        _resumed = true;
        return dir;
    }

    private void CheckConfig(TrainConfig saved, string statePath)
    {
        var mine = TrainConfigLoader.ToTree(Config);
        var theirs = TrainConfigLoader.ToTree(saved);
        foreach (var (key, value) in mine)
        {
            if (!ResumableKeys.Contains(key) && !JsonNode.DeepEquals(value, theirs[key]))
            {
                throw new CheckpointException(statePath, $"was written with {key} = {theirs[key]?.ToJsonString() ?? "null"}, " +
                    $"this run has {value?.ToJsonString() ?? "null"}; resume with the run's own config.json");
            }
        }
    }

    private static void CheckTensors(Dictionary<string, Tensor> loaded, StateDict expected, string path)
    {
        var missing = expected.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
        var unexpected = loaded.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var mismatched = expected.Entries
            .Where(e => loaded.TryGetValue(e.Key, out var t) && !Shape.Equal(t.Shape, e.Tensor.Shape))
            .Select(e => $"{e.Key} is {Shape.Format(loaded[e.Key].Shape)} in the file, {Shape.Format(e.Tensor.Shape)} in the model")
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0)
            {
                parts.Add($"missing keys {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" (+{missing.Count - 5})" : "")}");
            }

            if (unexpected.Count > 0)
            {
                parts.Add($"unexpected keys {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? $" (+{unexpected.Count - 5})" : "")}");
            }

            parts.AddRange(mismatched.Take(5));
            throw new CheckpointException(path, $"does not fit the model: {string.Join("; ", parts)}");
        }
    }

    // Drops log lines of epochs the checkpoint had not finished (a kill between logging and checkpointing).
    private void TrimLog(int epochsCompleted)
    {
        var path = Path.Combine(RunDir, LogFile);
        if (!File.Exists(path))
        {
            return;
        }

        var keep = File.ReadAllLines(path).Where(line =>
        {
            try
            {
                return JsonNode.Parse(line)?["epoch"]?.GetValue<int>() is int e && e <= epochsCompleted;
            }
            catch (System.Text.Json.JsonException)
            {
                return false; // a line cut by the kill
            }
        });
        AtomicFile.WriteAllText(path, string.Concat(keep.Select(l => l + "\n")));
    }
}
