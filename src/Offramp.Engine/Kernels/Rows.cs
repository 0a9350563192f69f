namespace Offramp.Engine.Kernels;

/// <summary>
/// Splits independent rows (softmax rows, normalisation groups, attention heads) into contiguous chunks for
/// <see cref="Parallelism.For"/>. The chunk boundaries depend only on the row count and the work per row, never on
/// the thread count, and each chunk writes only its own rows, so results are identical for any thread count.
/// </summary>
internal static class Rows
{
    /// <summary>
    /// About this many element-operations per chunk: enough to pay for a thread hop (≈ 5–10 µs). A problem smaller
    /// than one chunk (a batch-1 LayerNorm over 50 tokens) runs inline on the calling thread.
    /// </summary>
    private const long ChunkWork = 65_536;

    /// <summary>Runs <paramref name="body"/>(start, end) over chunks of [0, <paramref name="rows"/>).</summary>
    public static void For(int rows, long workPerRow, Action<int, int> body)
    {
        if (rows <= 0)
        {
            return;
        }

        int perChunk = (int)Math.Clamp(ChunkWork / Math.Max(workPerRow, 1), 1, rows);
        int chunks = (rows + perChunk - 1) / perChunk;
        if (chunks == 1)
        {
            body(0, rows);
            return;
        }

        Parallelism.For(chunks, c => body(c * perChunk, Math.Min(rows, (c + 1) * perChunk)));
    }
}
