using System.Buffers;

namespace Offramp.Engine.Kernels;

internal static unsafe partial class Conv
{
    // Images per partial weight gradient: the batch is cut into at most this many chunks (from N alone), each
    // summing its images into its own dW buffer; the chunks are then added in order.
    private const int WeightGradChunks = 4;

    // A single image's dW columns (Kg) are split into about this many tasks, so that both cores have work.
    private const int SingleImageColumnTasks = 4;

    // x: (N, C, H, W), gy: (N, O, OH, OW) → gw: (O, C/groups, KH, KW), overwritten.
    // dW_g (Og × Kg) = Σ_n gY_g (Og × OH·OW) · col_gᵀ, summed image by image inside fixed chunks of the batch.
    // Per image, gY_g is packed as GEMM's A and colᵀ's panels are gathered straight from a zero-bordered copy of
    // the image (Im2ColPanels.PackTransposed) — no stored column matrix. Same sums, same order as
    // Sgemm(gY_g, colᵀ) per image.
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gw, ConvGeometry g)
    {
        int ohw = g.OH * g.OW;
        if (g.N == 0 || ohw == 0)
        {
            gw.Clear();
            return;
        }

        var path = Gemm.Current;
        int nr = Gemm.PanelWidth(path);
        int chunks = Math.Min(g.N, WeightGradChunks);
        int per = Gemm.CeilDiv(g.N, chunks);
        chunks = Gemm.CeilDiv(g.N, per);
        int colBlocks = g.N == 1 ? Math.Min(SingleImageColumnTasks, Gemm.CeilDiv(g.Kg, 64)) : 1;
        int cw = colBlocks <= 1 ? g.Kg : Gemm.RoundUp(Gemm.CeilDiv(g.Kg, colBlocks), 32);
        colBlocks = Gemm.CeilDiv(g.Kg, cw);
        int wn = gw.Length, aSize = Gemm.PackedASize(path, g.Og, ohw);
        float[] partial = ArrayPool<float>.Shared.Rent(Math.Max(1, (chunks - 1) * wn));
        try
        {
            fixed (float* px = x, pgy = gy, pgw = gw, pp = partial)
            {
                nint xa = (nint)px, gya = (nint)pgy, gwa = (nint)pgw, pa = (nint)pp;
                Parallelism.For(chunks * colBlocks, t =>
                {
                    int ch = t / colBlocks, j0 = t % colBlocks * cw, cols = Math.Min(cw, g.Kg - j0);
                    float* dst = ch == 0 ? (float*)gwa : (float*)pa + ((nint)(ch - 1) * wn);
                    int n1 = Math.Min(g.N, (ch + 1) * per);
                    for (int n = ch * per; n < n1; n++)
                    {
                        float* xn = (float*)xa + ((nint)n * g.C * g.H * g.W);
                        float* gyn = (float*)gya + ((nint)n * g.O * ohw);
                        for (int grp = 0; grp < g.Groups; grp++)
                        {
                            float* xg = xn + ((nint)grp * g.Cg * g.H * g.W);
                            float* packedGy = Gemm.ScratchA(aSize);
                            Gemm.PackAAll(path, false, gyn + ((nint)grp * g.Og * ohw), ohw, g.Og, ohw, 1f, packedGy);
                            PanelPacker pack;
                            if (g.IsPointwise)
                            {
                                pack = Gemm.StoredPanels(path, true, xg, ohw, j0, cols);
                            }
                            else
                            {
                                var xp = Im2ColPanels.PadRows(xg, g, g.Cg, 0, ohw);
                                pack = (p0, kc, d) => Im2ColPanels.PackTransposed(xp, g, p0, kc, j0, cols, nr, d);
                            }

                            Gemm.MultiplyPackedA(path, packedGy, g.Og, 0, g.Og, cols, ohw, pack, n == ch * per ? 0f : 1f,
                                dst + ((nint)grp * g.Og * g.Kg) + j0, g.Kg);
                        }
                    }
                }, (long)per * 2 * g.O * cw * ohw);
            }

            for (int ch = 1; ch < chunks; ch++)
            {
                TensorPrimitives.Add(gw, partial.AsSpan((ch - 1) * wn, wn), gw);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }
    }
}
