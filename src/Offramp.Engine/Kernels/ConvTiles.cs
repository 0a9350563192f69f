namespace Offramp.Engine.Kernels;

/// <summary>
/// How one convolution GEMM (rows = output channels of a group, columns = output positions of an image) is cut
/// into tasks: every image into <see cref="ColChunks"/> column ranges of <see cref="Cols"/> positions and
/// <see cref="RowBlocks"/> row ranges of <see cref="Rows"/> channels. Chosen from the sizes alone (never from the
/// thread count), so the work split — and, since every element keeps its summation order, the result — is the
/// same for any <see cref="Parallelism.Threads"/>.
/// </summary>
/// <param name="Rows">Rows per task, a multiple of 48 (of every micro-kernel's MR) unless it is all rows.</param>
/// <param name="RowBlocks">Row ranges per image.</param>
/// <param name="Cols">Columns per task, a multiple of 32 (of every micro-kernel's NR) unless it is all columns.</param>
/// <param name="ColChunks">Column ranges per image.</param>
internal readonly record struct ConvTiles(int Rows, int RowBlocks, int Cols, int ColChunks)
{
    // Column ranges of at most this many positions keep a k block of B panels (256 × 512 floats) in L2.
    private const int MaxCols = 512;

    // A single image is split into about this many tasks, so that both cores of a batch-1 call have work; larger
    // batches split only by image and by MaxCols.
    private const int SingleImageTasks = 4;

    /// <summary>The split for <paramref name="n"/> images, <paramref name="m"/> rows and <paramref name="cols"/> columns.</summary>
    public static ConvTiles For(int n, int m, int cols)
    {
        int chunks = Gemm.CeilDiv(Math.Max(cols, 1), MaxCols);
        if (n == 1)
        {
            chunks = Math.Max(chunks, Math.Min(SingleImageTasks, Gemm.CeilDiv(cols, 128)));
        }

        int cw = chunks == 1 ? cols : Gemm.RoundUp(Gemm.CeilDiv(cols, chunks), 32);
        chunks = Math.Max(1, Gemm.CeilDiv(cols, Math.Max(cw, 1)));
        int rows = m, rowBlocks = 1;
        if (n == 1 && chunks < SingleImageTasks && m > 48)
        {
            rows = Gemm.RoundUp(Gemm.CeilDiv(m, Gemm.CeilDiv(SingleImageTasks, chunks)), 48);
            rowBlocks = Gemm.CeilDiv(m, rows);
        }

        return new ConvTiles(rows, rowBlocks, cw, chunks);
    }

    /// <summary>Tasks per image.</summary>
    public int PerImage => RowBlocks * ColChunks;
}
