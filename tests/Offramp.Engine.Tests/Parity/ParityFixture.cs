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

    private readonly SafetensorsFile _file;

    private ParityFixture(string name, SafetensorsFile file, JsonElement spec)
    {
        Name = name;
        _file = file;
        Spec = spec;
    }

    public string Name { get; }

    public JsonElement Spec { get; }

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

    public bool Has(string key) => _file.Contains(key);

    public Tensor T(string key) => _file[key].ToTensor();

    public IEnumerable<string> Keys(string prefix) =>
        _file.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]);

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
