namespace Offramp.Data;

/// <summary>
/// A view of some samples of another <see cref="Dataset"/>, in a given order (see <see cref="Dataset.Subset"/>).
/// </summary>
internal sealed class DatasetSubset : Dataset
{
    private readonly Dataset _source;
    private readonly int[] _indices;

    public DatasetSubset(Dataset source, int[] indices, string? name)
    {
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)source.Count)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(indices), i, $"{source.Name}: subset index outside [0, {source.Count})");
            }
        }

        _source = source;
        _indices = (int[])indices.Clone();
        Name = name ?? source.Name + "[subset]";
    }

    public override string Name { get; }

    public override int Count => _indices.Length;

    public override int Channels => _source.Channels;

    public override int Height => _source.Height;

    public override int Width => _source.Width;

    public override IReadOnlyList<string> ClassNames => _source.ClassNames;

    /// <summary>The source index of each sample of the view.</summary>
    public ReadOnlySpan<int> SourceIndices => _indices;

    public override int GetLabel(int index)
    {
        CheckIndex(index);
        return _source.GetLabel(_indices[index]);
    }

    public override void CopyImage(int index, Span<float> destination)
    {
        CheckIndex(index);
        _source.CopyImage(_indices[index], destination);
    }
}
