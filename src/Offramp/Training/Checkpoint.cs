using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Engine.Nn;

namespace Offramp.Training;

/// <summary>
/// Checkpoints of a run: <c>RUN/checkpoints/step-NNNNNNNNN/</c> holding <c>model.safetensors</c>,
/// <c>optimizer.safetensors</c>, <c>ema.safetensors</c> (with EMA) and <c>state.json</c> (position, RNG states, sizes and
/// SHA-256 of the other files, config), and the pointer file <c>RUN/checkpoints/latest</c> naming the newest.
/// </summary>
/// <remarks>
/// <para>Atomic: a checkpoint is written into a hidden temporary folder, each file flushed to disk, and the folder is
/// renamed to its final name only when complete; then the pointer is replaced (temporary file + rename) and older
/// checkpoints are deleted. A kill at any moment leaves the pointer on a complete checkpoint and never a partial one
/// under a final name.</para>
/// <para>Loading checks everything before anything is used: the state's format, every file's presence, length and
/// hash, and the safetensors structure; a failure names the file and the reason.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>Folder of the checkpoints inside a run directory.</summary>
    public const string FolderName = "checkpoints";

    /// <summary>The pointer file naming the newest checkpoint.</summary>
    public const string LatestPointer = "latest";

    /// <summary>Model weights.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>Optimizer state.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>EMA weights.</summary>
    public const string EmaFile = "ema.safetensors";

    /// <summary>Position, RNG states, digests and config.</summary>
    public const string StateFile = "state.json";

    /// <summary>Writes a checkpoint atomically and makes it the latest.</summary>
    /// <param name="runDir">The run directory.</param>
    /// <param name="state">Position and config; its <see cref="CheckpointState.Files"/> are filled here.</param>
    /// <param name="files">File name → bytes (model, optimizer, EMA).</param>
    /// <returns>The checkpoint's directory.</returns>
    /// <exception cref="IOException">Writing failed; the previous checkpoint is still the latest.</exception>
    public static string Save(string runDir, CheckpointState state, IReadOnlyDictionary<string, byte[]> files)
    {
        var root = Path.Combine(runDir, FolderName);
        Directory.CreateDirectory(root);
        var name = "step-" + state.GlobalStep.ToString("D9", CultureInfo.InvariantCulture);
        var tmp = Path.Combine(root, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            var digests = new Dictionary<string, FileDigest>(StringComparer.Ordinal);
            foreach (var (file, bytes) in files)
            {
                WriteFlushed(Path.Combine(tmp, file), bytes);
                digests[file] = new FileDigest(bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }

            var stateBytes = JsonSerializer.SerializeToUtf8Bytes(state with { Files = digests }, TrainJsonContext.Default.CheckpointState);
            WriteFlushed(Path.Combine(tmp, StateFile), stateBytes);
            var final = Path.Combine(root, name);
            for (int n = 1; Directory.Exists(final); n++)
            {
                final = Path.Combine(root, $"{name}.{n}"); // a step saved again after a resume: never touch a complete one
            }

            Directory.Move(tmp, final);
            AtomicFile.WriteAllText(Path.Combine(root, LatestPointer), Path.GetFileName(final) + "\n");
            foreach (var old in Directory.EnumerateDirectories(root))
            {
                if (!string.Equals(old, final, StringComparison.Ordinal))
                {
                    Directory.Delete(old, recursive: true);
                }
            }

            return final;
        }
        finally
        {
            if (Directory.Exists(tmp))
            {
                Directory.Delete(tmp, recursive: true);
            }
        }
    }

    /// <summary>The directory of the run's latest checkpoint, or null when the run has none.</summary>
    /// <exception cref="CheckpointException">The pointer exists but is unreadable or names a missing checkpoint.</exception>
    public static string? FindLatest(string runDir)
    {
        var pointer = Path.Combine(runDir, FolderName, LatestPointer);
        if (!File.Exists(pointer))
        {
            return null;
        }

        string name;
        try
        {
            name = File.ReadAllText(pointer).Trim();
        }
        catch (IOException e)
        {
            throw new CheckpointException(pointer, $"cannot be read: {e.Message}", e);
        }

        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name.StartsWith('.'))
        {
            throw new CheckpointException(pointer, $"does not name a checkpoint folder ('{name}')");
        }

        var dir = Path.Combine(runDir, FolderName, name);
        return Directory.Exists(dir) ? dir : throw new CheckpointException(pointer, $"names {name}, which does not exist");
    }

    /// <summary>Reads and verifies a checkpoint directory.</summary>
    /// <exception cref="CheckpointException">A file is missing, truncated, corrupt or malformed.</exception>
    public static LoadedCheckpoint Load(string directory)
    {
        var statePath = Path.Combine(directory, StateFile);
        if (!Directory.Exists(directory))
        {
            throw new CheckpointException(directory, "the folder does not exist");
        }

        CheckpointState state;
        try
        {
            state = JsonSerializer.Deserialize(File.ReadAllBytes(statePath), TrainJsonContext.Default.CheckpointState)
                ?? throw new CheckpointException(statePath, "is empty");
        }
        catch (FileNotFoundException e)
        {
            throw new CheckpointException(statePath, "is missing", e);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(statePath, $"is not a valid checkpoint state (truncated or corrupt?): {e.Message}", e);
        }

        if (state.Format != CheckpointState.CurrentFormat)
        {
            throw new CheckpointException(statePath, $"has format '{state.Format}', this version reads '{CheckpointState.CurrentFormat}'");
        }

        foreach (var required in new[] { ModelFile, OptimizerFile })
        {
            if (!state.Files.ContainsKey(required))
            {
                throw new CheckpointException(statePath, $"lists no {required}");
            }
        }

        var tensors = new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
        foreach (var (file, digest) in state.Files)
        {
            if (file.IndexOfAny(['/', '\\']) >= 0 || file.StartsWith('.'))
            {
                throw new CheckpointException(statePath, $"lists an invalid file name '{file}'");
            }

            var path = Path.Combine(directory, file);
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (FileNotFoundException e)
            {
                throw new CheckpointException(path, "is missing", e);
            }

            if (bytes.Length != digest.Bytes)
            {
                throw new CheckpointException(path, bytes.Length < digest.Bytes
                    ? $"is truncated: {bytes.Length} bytes, {digest.Bytes} expected"
                    : $"has {bytes.Length} bytes, {digest.Bytes} expected");
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!string.Equals(hash, digest.Sha256, StringComparison.Ordinal))
            {
                throw new CheckpointException(path, $"is corrupt: its SHA-256 {hash} differs from {digest.Sha256} recorded in {StateFile}");
            }

            try
            {
                tensors[file] = StateDictFiles.ReadTensors(Safetensors.Read(bytes, path));
            }
            catch (FormatException e)
            {
                throw new CheckpointException(path, e.Message, e);
            }
        }

        return new LoadedCheckpoint(directory, state, tensors[ModelFile], tensors[OptimizerFile],
            tensors.GetValueOrDefault(EmaFile));
    }

    /// <summary>The safetensors bytes of a state dict with PyTorch's element types (I64 for integer buffers and step
    /// counts), as <c>safetensors.torch.save_file</c> would write them.</summary>
    public static byte[] Serialize(StateDict stateDict) =>
        Safetensors.Serialize(StateDictFiles.ToEntries(stateDict), new Dictionary<string, string> { ["format"] = "pt" });

    private static void WriteFlushed(string path, byte[] bytes)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        fs.Write(bytes);
        fs.Flush(flushToDisk: true);
    }
}

/// <summary>A verified checkpoint in memory.</summary>
/// <param name="Directory">Where it was read from.</param>
/// <param name="State">Its <c>state.json</c>.</param>
/// <param name="Model">Model weights by state-dict key.</param>
/// <param name="Optimizer">Optimizer state by key (<c>state.{i}.{name}</c>).</param>
/// <param name="Ema">EMA weights, or null without EMA.</param>
public sealed record LoadedCheckpoint(string Directory, CheckpointState State, Dictionary<string, Tensor> Model,
    Dictionary<string, Tensor> Optimizer, Dictionary<string, Tensor>? Ema);
