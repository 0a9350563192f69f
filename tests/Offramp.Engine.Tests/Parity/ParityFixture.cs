using System.Text.Json;
using Offramp.Engine.IO;

namespace Offramp.Engine.Tests.Parity;

/// <summary>
/// One case written by <c>tools/gen_parity_fixtures.py</c> (PyTorch 1.13): inputs, parameters, output, the
/// backward seed and the gradients. Never edit a fixture to make a test pass: regenerate with the script.
/// </summary>
internal sealed class ParityFixture
{
    /// <summary>Forward and backward tolerance of the parity tests (issue 2: rtol 1e-4).</summary>
    public const double Rtol = 1e-4;

    /// <summary>Absolute floor for elements near zero (values are O(1)).</summary>
    public const double Atol = 1e-5;

    private readonly Dictionary<string, Tensor> _tensors;

    private ParityFixture(string name, SafetensorsFile file, JsonElement spec)
    {
        Name = name;
        _tensors = StateDictFiles.ReadTensors(file); // I64 entries (num_batches_tracked) become float values
        Spec = spec;
    }

    public string Name { get; }

    public JsonElement Spec { get; }

    /// <summary>Whether the module ran in training mode (module cases only).</summary>
    public bool Train => Spec.GetProperty("train").GetBoolean();

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity");

    public static ParityFixture Load(string name)
    {
        var file = Safetensors.Read(Path.Combine(Dir, name + ".safetensors"));
        using var doc = JsonDocument.Parse(file.Metadata!["case"]);
        return new ParityFixture(name, file, doc.RootElement.Clone());
    }

    /// <summary>Every fixture name whose spec type satisfies <paramref name="filter"/>.</summary>
    public static TheoryData<string> Names(Func<string, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Dir, "*.safetensors").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var type = Load(name).Spec.GetProperty("type").GetString()!;
            if (filter(type))
            {
                data.Add(name);
            }
        }

        return data;
    }

    public bool Has(string key) => _tensors.ContainsKey(key);

    /// <summary>A fresh copy of one entry (callers may mark it as requiring grad).</summary>
    public Tensor T(string key) => _tensors[key].CloneData();

    /// <summary>Fresh copies of the entries under <paramref name="prefix"/>, keyed without it.</summary>
    public Dictionary<string, Tensor> Group(string prefix) => _tensors
        .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
        .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value.CloneData(), StringComparer.Ordinal);

    public Tensor[] Inputs()
    {
        var list = new List<Tensor>();
        for (int i = 0; Has($"input.{i}"); i++)
        {
            list.Add(T($"input.{i}").WithGrad());
        }

        return [.. list];
    }

    /// <summary>Backward with the fixture's seed, then compares output and every input gradient.</summary>
    public void CheckForwardBackward(Tensor output, Tensor[] inputs)
    {
        TestUtil.AssertClose(T("output"), output, Atol, Rtol, $"{Name}: output");
        output.Backward(T("grad_output"));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (Has($"grad.input.{i}"))
            {
                Assert.True(inputs[i].Grad is not null, $"{Name}: input {i} got no gradient");
                TestUtil.AssertClose(T($"grad.input.{i}"), inputs[i].Grad!, Atol, Rtol, $"{Name}: grad of input {i}");
            }
        }
    }
}
