using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Engine.Nn;

namespace Offramp.Training;

/// <summary>State dicts as safetensors bytes, with PyTorch's element types (I64 for integer buffers and step counts).</summary>
public static class StateDictFiles
{
    /// <summary>The safetensors bytes of <paramref name="stateDict"/>: F32/F64 tensors as themselves, entries hinted
    /// <see cref="TorchDType.Int64"/> as I64 (their values are whole numbers).</summary>
    /// <exception cref="ArgumentException">An I64 entry holds a value that is not a whole number.</exception>
    public static byte[] Serialize(StateDict stateDict)
    {
        var entries = new List<SafetensorsEntry>();
        foreach (var e in stateDict.Entries)
        {
            if (e.TorchDType == TorchDType.Int64)
            {
                var values = new long[e.Tensor.Numel];
                for (int i = 0; i < values.Length; i++)
                {
                    double v = e.Tensor.GetFlat(i);
                    if (v != Math.Floor(v) || !double.IsFinite(v))
                    {
                        throw new ArgumentException($"state dict entry '{e.Key}' is marked int64 but holds {v}");
                    }

                    values[i] = (long)v;
                }

                entries.Add(SafetensorsEntry.FromInt64(e.Key, values, e.Tensor.Shape));
            }
            else
            {
                entries.Add(SafetensorsEntry.FromTensor(e.Key, e.Tensor));
            }
        }

        return Safetensors.Serialize(entries, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Reads a safetensors file into tensors by name: float entries as float32/float64, integer entries as
    /// float64 (exact below 2⁵³).</summary>
    /// <exception cref="SafetensorsFormatException">The bytes break the format.</exception>
    /// <exception cref="FormatException">An integer value is too large to hold exactly.</exception>
    public static Dictionary<string, Tensor> Deserialize(ReadOnlySpan<byte> bytes, string source)
    {
        var file = Safetensors.Read(bytes, source);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var persistent = TensorMemory.Persistent();
        foreach (var e in file.Entries)
        {
            if (e.DType is SafetensorsDType.F32 or SafetensorsDType.F64 or SafetensorsDType.F16 or SafetensorsDType.BF16)
            {
                result[e.Name] = e.ToTensor();
                continue;
            }

            var ints = e.ToInt64Array();
            var d = new double[ints.Length];
            for (int i = 0; i < d.Length; i++)
            {
                if (Math.Abs(ints[i]) > (1L << 53))
                {
                    throw new FormatException($"{source}: tensor '{e.Name}' holds {ints[i]}, too large to load exactly");
                }

                d[i] = ints[i];
            }

            result[e.Name] = Tensor.FromArray(d, e.Shape);
        }

        return result;
    }
}
