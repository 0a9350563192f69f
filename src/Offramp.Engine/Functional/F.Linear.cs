using System.Runtime.InteropServices;
using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Affine map y = x·Wᵀ + b (<c>torch.nn.functional.linear</c>). x: (…, in), w: (out, in), b: (out) or null →
    /// (…, out). One GEMM with B transposed; the backward is fused: dX = dY·W, dW = dYᵀ·X, db = Σ dY over rows.
    /// </summary>
    /// <exception cref="ArgumentException">Ranks or sizes do not fit; the message names the shapes.</exception>
    [Differentiable("linear")]
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b = null)
    {
        var (rows, inF, outF) = LinearSizes(x, w, b);
        var y = Tensor.Empty([.. x.Shape[..^1], outF], x.DType);
        if (x.DType == DType.Float32)
        {
            LinearForward<float>(x.Span, w.Span, b is null ? default : b.Span, y.Span, rows, inF, outF,
                b is null ? null : PackedLinearWeights(w, rows, outF, inF));
        }
        else
        {
            LinearForward<double>(x.Data<double>(), w.Data<double>(), b is null ? default : b.Data<double>(), y.Data<double>(), rows, inF, outF);
        }

        if (Autograd.ShouldRecord(x, w, b))
        {
            Autograd.Record(y, "linear", [x, w, b], g => [
                x.RequiresGrad ? LinearGrad(g, w, x.Shape, rows, inF, outF, input: true) : null,
                w.RequiresGrad ? LinearGrad(g, x, w.Shape, rows, inF, outF, input: false) : null,
                b is not null && b.RequiresGrad ? LinearBiasGrad(g, rows, outF) : null]);
        }

        return y;
    }

    /// <summary>
    /// Inference form of <see cref="Linear"/> followed by exact GELU (<paramref name="gelu"/>) or by adding
    /// <paramref name="residual"/> (the shape of the output): GELU(x·Wᵀ + b) or residual + (x·Wᵀ + b), applied to each
    /// GEMM tile as it is written (<c>Gemm.SgemmEpilogue</c>) — bit-identical to the separate ops, one pass over the
    /// output instead of three. When a graph is recorded, or for float64, it runs the separate ops.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Linear"/>; or the residual's shape is not the output's; or
    /// both GELU and a residual are given.</exception>
    public static Tensor LinearEpilogue(Tensor x, Tensor w, Tensor? b, Tensor? residual = null, bool gelu = false)
    {
        if (gelu && residual is not null)
        {
            throw new ArgumentException("linear_epilogue: GELU or a residual, not both");
        }

        if (x.DType != DType.Float32 || Autograd.ShouldRecord(x, w, b)
            || (residual is not null && (Autograd.ShouldRecord(residual) || residual.DType != DType.Float32)))
        {
            var y0 = Linear(x, w, b);
            return gelu ? y0.Gelu() : residual is null ? y0 : residual.Add(y0);
        }

        var (rows, inF, outF) = LinearSizes(x, w, b);
        int[] outShape = [.. x.Shape[..^1], outF];
        if (residual is not null && !Shape.Equal(residual.Shape, outShape))
        {
            throw new ArgumentException($"linear_epilogue: residual {Shape.Format(residual.Shape)} is not the output's shape {Shape.Format(outShape)}");
        }

        var y = Tensor.Empty(outShape, DType.Float32);
        Gemm.SgemmEpilogue(false, true, rows, outF, inF, x.Span, inF, w.Span, inF, b is null ? default : b.Span,
            residual is null ? default : residual.Span, outF, gelu, y.Span, outF, PackedLinearWeights(w, rows, outF, inF));
        return y;
    }

    // Rows up to which a Linear under FrozenWeights reads its weights packed once. Above, the GEMM packs them per call
    // (into a buffer that stays in the caller's cache): with many rows the packing is amortised, and without this cap
    // batch 64 measured 5–15 % slower in two alternated rounds of `offramp bench --model vit|dp` (a copy packed long
    // ago is read from memory; the machine's noise is of the same order, so the cap is the cautious choice).
    private const int FrozenLinearRows = 256;

    // Under FrozenWeights and for at most FrozenLinearRows rows: w (out, in) packed once as the GEMM's transposed B
    // panels (Gemm.PackBAll); else null.
    private static unsafe float[]? PackedLinearWeights(Tensor w, int rows, int outF, int inF)
    {
        if (!FrozenWeights.IsActive || rows > FrozenLinearRows || outF == 0 || inF == 0)
        {
            return null;
        }

        var path = Gemm.Current;
        return FrozenWeights.GetOrPack(w, (path, outF, inF), () =>
        {
            fixed (float* pw = w.Span)
            {
                return Gemm.PackBAll(path, true, pw, inF, outF, inF);
            }
        });
    }

    // Checks x (…, in), w (out, in) and b (out) or null — ranks, sizes, one dtype — and returns the GEMM's sizes.
    private static (int Rows, int InF, int OutF) LinearSizes(Tensor x, Tensor w, Tensor? b)
    {
        string xs = Shape.Format(x.Shape), ws = Shape.Format(w.Shape);
        if (w.Rank != 2 || x.Rank < 1)
        {
            throw new ArgumentException($"linear: weight {ws} must be 2-D (out, in) and input {xs} at least 1-D");
        }

        x.CheckSameDType(w, "linear");
        int outF = w.Shape[0], inF = w.Shape[1];
        if (x.Shape[^1] != inF)
        {
            throw new ArgumentException($"linear: input {xs} has {x.Shape[^1]} features but weight {ws} expects {inF}");
        }

        if (b is not null)
        {
            x.CheckSameDType(b, "linear");
            if (b.Rank != 1 || b.Shape[0] != outF)
            {
                throw new ArgumentException($"linear: bias {Shape.Format(b.Shape)} does not match weight {ws}: expected ({outF},)");
            }
        }

        return (inF == 0 ? Shape.Numel(x.Shape.AsSpan(0, x.Rank - 1)) : x.Numel / inF, inF, outF);
    }

    // x: (R, in), w: (out, in), b: (out) or empty → y: (R, out) = x·Wᵀ (+ b, as C's initial value with beta 1; in
    // float32 added to each C tile as the GEMM writes it, the same sums bit for bit). prepackedB: w packed once
    // (PackedLinearWeights; float32 with a bias only), or null.
    private static void LinearForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y, int rows, int inF, int outF,
        float[]? prepackedB = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && !b.IsEmpty)
        {
            Gemm.SgemmEpilogue(false, true, rows, outF, inF, MemoryMarshal.Cast<T, float>(x), inF, MemoryMarshal.Cast<T, float>(w),
                inF, MemoryMarshal.Cast<T, float>(b), default, 0, false, MemoryMarshal.Cast<T, float>(y), outF, prepackedB);
            return;
        }

        if (!b.IsEmpty)
        {
            for (int r = 0; r < rows; r++)
            {
                b.CopyTo(y.Slice(r * outF, outF));
            }
        }

        GemmDispatch.Gemm(false, true, rows, outF, inF, T.One, x, inF, w, inF, b.IsEmpty ? T.Zero : T.One, y, outF);
    }

    // input: dX (R, in) = dY (R, out) · W (out, in).  weight: dW (out, in) = dYᵀ (out, R) · X (R, in).
    private static Tensor LinearGrad(Tensor g, Tensor other, int[] shape, int rows, int inF, int outF, bool input)
    {
        var d = Tensor.Empty(shape, g.DType);
        if (g.DType == DType.Float32)
        {
            LinearGradKernel<float>(g.Span, other.Span, d.Span, rows, inF, outF, input);
        }
        else
        {
            LinearGradKernel<double>(g.Data<double>(), other.Data<double>(), d.Data<double>(), rows, inF, outF, input);
        }

        return d;
    }

    private static void LinearGradKernel<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> other, Span<T> d, int rows, int inF, int outF, bool input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (input)
        {
            GemmDispatch.Gemm(false, false, rows, inF, outF, T.One, g, outF, other, inF, T.Zero, d, inF);
        }
        else
        {
            GemmDispatch.Gemm(true, false, outF, inF, rows, T.One, g, outF, other, inF, T.Zero, d, inF);
        }
    }

    // db (out) = Σ_r dY[r, :], rows summed in order.
    private static Tensor LinearBiasGrad(Tensor g, int rows, int outF)
    {
        var db = Tensor.Empty([outF], g.DType);
        if (g.DType == DType.Float32)
        {
            Reduce.SumAxis<float>(g.Span, db.Span, 1, rows, outF);
        }
        else
        {
            Reduce.SumAxis<double>(g.Data<double>(), db.Data<double>(), 1, rows, outF);
        }

        return db;
    }
}
