using Offramp.Engine.Nn;

namespace Offramp.Engine.IO;

/// <summary>
/// Moves module weights to and from safetensors files as PyTorch writes them: float entries as F32 (F64 for
/// float64 tensors), integer buffers such as BatchNorm's <c>num_batches_tracked</c> as I64 scalars.
/// </summary>
public static class StateDictFiles
{
    /// <summary>The safetensors entries of a state dict, with PyTorch's types.</summary>
    public static IEnumerable<SafetensorsEntry> ToEntries(StateDict stateDict)
    {
        foreach (var e in stateDict.Entries)
        {
            if (e.TorchDType == TorchDType.Int64)
            {
                var values = e.Tensor.ToDoubleArray().Select(v => checked((long)v)).ToArray();
                yield return SafetensorsEntry.FromInt64(e.Key, values, e.Tensor.Shape);
            }
            else
            {
                yield return SafetensorsEntry.FromTensor(e.Key, e.Tensor);
            }
        }
    }

    /// <summary>Reads every entry of a safetensors file as a tensor (integers become float32 values).</summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed (nothing is returned).</exception>
    public static Dictionary<string, Tensor> ReadTensors(SafetensorsFile file)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in file.Entries)
        {
            d[e.Name] = e.DType is SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F64
                ? e.ToTensor()
                : Tensor.FromArray(e.ToInt64Array().Select(v => (float)v).ToArray(), e.Shape);
        }

        return d;
    }

    /// <summary>Writes <paramref name="module"/>'s state dict to <paramref name="path"/> atomically.</summary>
    public static void Save(Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Safetensors.Write(path, ToEntries(module.StateDict()), metadata);

    /// <summary>
    /// Loads a safetensors file (e.g. written by PyTorch) into <paramref name="module"/>. Strict by default: missing,
    /// unexpected or mis-shaped keys are named in the error and the module is left unchanged.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed.</exception>
    /// <exception cref="StateDictMismatchException">The keys or shapes do not match the module.</exception>
    public static LoadStateDictResult Load(Module module, string path, bool strict = true) =>
        module.LoadStateDict(ReadTensors(Safetensors.Read(path)), strict);
}
