using System.Collections;
using System.Globalization;

namespace Offramp.Engine.Nn;

/// <summary>
/// A list of child modules named "0", "1", … (<c>torch.nn.ModuleList</c>), typed for convenient access
/// (<c>ModuleList&lt;Block&gt;</c>). It has no forward of its own: the owner iterates it.
/// </summary>
public class ModuleList<T> : Module, IReadOnlyList<T>
    where T : Module
{
    private readonly List<T> _items = [];

    /// <summary>Creates the list with initial children.</summary>
    public ModuleList(params IEnumerable<T> modules)
    {
        foreach (var m in modules)
        {
            Add(m);
        }
    }

    /// <summary>Appends a child named by its position.</summary>
    public void Add(T module) => _items.Add(RegisterModule(_items.Count.ToString(CultureInfo.InvariantCulture), module));

    /// <summary>The child at <paramref name="index"/>.</summary>
    public T this[int index] => _items[index];

    /// <summary>Number of children.</summary>
    public int Count => _items.Count;

    /// <summary>Not supported: a ModuleList has no forward (as in PyTorch).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor x) =>
        throw new NotSupportedException("ModuleList has no Forward; iterate over its modules instead");

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>An untyped <see cref="ModuleList{T}"/>.</summary>
public sealed class ModuleList(params IEnumerable<Module> modules) : ModuleList<Module>(modules);
