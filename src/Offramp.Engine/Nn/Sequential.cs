using System.Collections;
using System.Globalization;

namespace Offramp.Engine.Nn;

/// <summary>
/// Runs its children in order, each on the previous one's output (<c>torch.nn.Sequential</c>). Children are
/// named "0", "1", … (or given names), so keys read <c>0.weight</c>, <c>1.running_mean</c>, ….
/// </summary>
public sealed class Sequential : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _layers = [];

    /// <summary>Children named by position.</summary>
    public Sequential(params Module[] modules)
    {
        foreach (var m in modules)
        {
            Append(m);
        }
    }

    /// <summary>Named children (PyTorch's <c>Sequential(OrderedDict(...))</c>).</summary>
    /// <exception cref="ArgumentException">A name is invalid or repeated.</exception>
    public Sequential(IEnumerable<(string Name, Module Module)> modules)
    {
        foreach (var (name, m) in modules)
        {
            if (NamedChildren().Any(c => c.Name == name))
            {
                throw new ArgumentException($"Sequential: repeated child name '{name}'");
            }

            _layers.Add(RegisterModule(name, m));
        }
    }

    /// <summary>Appends a child named by its position.</summary>
    public Sequential Append(Module module)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(CultureInfo.InvariantCulture), module));
        return this;
    }

    /// <summary>The child at <paramref name="index"/>.</summary>
    public Module this[int index] => _layers[index];

    /// <summary>Number of children.</summary>
    public int Count => _layers.Count;

    /// <summary>Applies every child in order; an empty Sequential returns its input.</summary>
    public override Tensor Forward(Tensor x)
    {
        foreach (var m in _layers)
        {
            x = m.Forward(x);
        }

        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
