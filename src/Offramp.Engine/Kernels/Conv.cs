using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Offramp.Engine.Kernels;

/// <summary>
/// Float32 convolution as im2col + GEMM, per image and per group (PyTorch's slow_conv2d / Caffe): for image n
/// and group g, Y_g (Og × OH·OW) = W_g (Og × Kg) · col_g (Kg × OH·OW). A 1×1 stride-1 unpadded convolution uses
/// the input as its column matrix. Batches of two or more images run one image per task with single-threaded
/// GEMMs; a single image runs threaded GEMMs. Either way every output is summed in one fixed order.
/// </summary>
internal static unsafe class Conv
{
    // Images per partial weight gradient: the batch is cut into at most this many chunks (from N alone), each
    // summing its images into its own dW buffer; the chunks are then added in order.
    private const int WeightGradChunks = 4;

    [ThreadStatic]
    private static float[]? t_col;

    // x: (N, C, H, W), w: (O, C/groups, KH, KW), b: (O) or empty → y: (N, O, OH, OW).
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, ConvGeometry g)
    {
        Debug.Assert(x.Length == g.N * g.C * g.H * g.W && w.Length == g.O * g.Kg && y.Length == g.N * g.O * g.OH * g.OW);
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            nint xa = (nint)px, wa = (nint)pw, ba = (nint)pb, ya = (nint)py;
            bool hasBias = !b.IsEmpty;
            ForImages(g, n =>
            {
                int ohw = g.OH * g.OW;
                float* xn = (float*)xa + ((nint)n * g.C * g.H * g.W);
                float* yn = (float*)ya + ((nint)n * g.O * ohw);
                float* col = g.IsPointwise ? xn : Im2ColScratch(xn, g);
                if (hasBias)
                {
                    for (int o = 0; o < g.O; o++)
                    {
                        new Span<float>(yn + ((nint)o * ohw), ohw).Fill(((float*)ba)[o]);
                    }
                }

                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Gemm.Sgemm(false, false, g.Og, ohw, g.Kg, 1f,
                        new ReadOnlySpan<float>((float*)wa + ((nint)grp * g.Og * g.Kg), g.Og * g.Kg), g.Kg,
                        new ReadOnlySpan<float>(col + ((nint)grp * g.Kg * ohw), g.Kg * ohw), ohw,
                        hasBias ? 1f : 0f, new Span<float>(yn + ((nint)grp * g.Og * ohw), g.Og * ohw), ohw, g.N == 1);
                }
            });
        }
    }

    // gy: (N, O, OH, OW), w: (O, C/groups, KH, KW) → gx: (N, C, H, W), overwritten.
    // Per image: dcol_g (Kg × OH·OW) = W_gᵀ · gY_g, then col2im into gx.
    public static void BackwardInput(ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx, ConvGeometry g)
    {
        fixed (float* pgy = gy, pw = w, pgx = gx)
        {
            nint gya = (nint)pgy, wa = (nint)pw, gxa = (nint)pgx;
            ForImages(g, n =>
            {
                int ohw = g.OH * g.OW, chw = g.C * g.H * g.W;
                float* gyn = (float*)gya + ((nint)n * g.O * ohw);
                float* gxn = (float*)gxa + ((nint)n * chw);
                float* dcol = g.IsPointwise ? gxn : Scratch(g.Groups * g.Kg * ohw);
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    Gemm.Sgemm(true, false, g.Kg, ohw, g.Og, 1f,
                        new ReadOnlySpan<float>((float*)wa + ((nint)grp * g.Og * g.Kg), g.Og * g.Kg), g.Kg,
                        new ReadOnlySpan<float>(gyn + ((nint)grp * g.Og * ohw), g.Og * ohw), ohw,
                        0f, new Span<float>(dcol + ((nint)grp * g.Kg * ohw), g.Kg * ohw), ohw, g.N == 1);
                }

                if (!g.IsPointwise)
                {
                    var gxs = new Span<float>(gxn, chw);
                    gxs.Clear();
                    Im2Col.Backward(new ReadOnlySpan<float>(dcol, g.Groups * g.Kg * ohw), gxs, g, g.C);
                }
            });
        }
    }

    // x: (N, C, H, W), gy: (N, O, OH, OW) → gw: (O, C/groups, KH, KW), overwritten.
    // dW_g (Og × Kg) = Σ_n gY_g (Og × OH·OW) · col_gᵀ, summed image by image inside fixed chunks of the batch.
    public static void BackwardWeight(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gw, ConvGeometry g)
    {
        if (g.N == 0)
        {
            gw.Clear();
            return;
        }

        int chunks = Math.Min(g.N, WeightGradChunks);
        int per = Gemm.CeilDiv(g.N, chunks);
        chunks = Gemm.CeilDiv(g.N, per);
        int wn = gw.Length;
        float[] partial = ArrayPool<float>.Shared.Rent(Math.Max(1, (chunks - 1) * wn));
        try
        {
            fixed (float* px = x, pgy = gy, pgw = gw, pp = partial)
            {
                nint xa = (nint)px, gya = (nint)pgy, gwa = (nint)pgw, pa = (nint)pp;
                Parallelism.For(chunks, ch =>
                {
                    int ohw = g.OH * g.OW;
                    float* dst = ch == 0 ? (float*)gwa : (float*)pa + ((nint)(ch - 1) * wn);
                    int n1 = Math.Min(g.N, (ch + 1) * per);
                    for (int n = ch * per; n < n1; n++)
                    {
                        float* xn = (float*)xa + ((nint)n * g.C * g.H * g.W);
                        float* gyn = (float*)gya + ((nint)n * g.O * ohw);
                        float* col = g.IsPointwise ? xn : Im2ColScratch(xn, g);
                        for (int grp = 0; grp < g.Groups; grp++)
                        {
                            Gemm.Sgemm(false, true, g.Og, g.Kg, ohw, 1f,
                                new ReadOnlySpan<float>(gyn + ((nint)grp * g.Og * ohw), g.Og * ohw), ohw,
                                new ReadOnlySpan<float>(col + ((nint)grp * g.Kg * ohw), g.Kg * ohw), ohw,
                                n == ch * per ? 0f : 1f, new Span<float>(dst + ((nint)grp * g.Og * g.Kg), g.Og * g.Kg), g.Kg,
                                chunks == 1);
                        }
                    }
                }, (long)per * g.O * g.Kg * g.OH * g.OW);
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

    // gy: (N, O, OH, OW) → gb: (O), overwritten: Σ over images (in order) of each plane's sum.
    public static void BackwardBias(ReadOnlySpan<float> gy, Span<float> gb, int n, int o, int planeSize)
    {
        gb.Clear();
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < o; c++)
            {
                gb[c] += TensorPrimitives.Sum(gy.Slice(((i * o) + c) * planeSize, planeSize));
            }
        }
    }

    // One task per image when there are several (GEMMs then run single-threaded inside); a lone image runs inline
    // and its GEMMs are threaded (the `g.N == 1` arguments above).
    private static void ForImages(ConvGeometry g, Action<int> body)
    {
        if (g.N == 1)
        {
            body(0);
            return;
        }

        Parallelism.For(g.N, body, 2L * g.O * g.Kg * g.OH * g.OW);
    }

    private static float* Im2ColScratch(float* xn, ConvGeometry g)
    {
        int ohw = g.OH * g.OW;
        float* col = Scratch(g.C * g.KH * g.KW * ohw);
        Im2Col.Forward(new ReadOnlySpan<float>(xn, g.C * g.H * g.W), new Span<float>(col, g.C * g.KH * g.KW * ohw), g, g.C);
        return col;
    }

    // Thread-local pinned scratch for one image's column matrix; grown on demand, reused across calls.
    private static float* Scratch(int n)
    {
        if (t_col is null || t_col.Length < n)
        {
            t_col = GC.AllocateUninitializedArray<float>(Math.Max(n, 1024), pinned: true);
        }

        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_col));
    }
}
