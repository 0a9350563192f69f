using System.Runtime.InteropServices;
using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Max pooling (<c>max_pool2d</c>, no dilation, floor mode). x: (N, C, H, W) or (C, H, W) → (…, OH, OW) with
    /// OH = (H + 2·padding − kernel)/stride + 1. Padding counts as −∞; the gradient goes to the first maximum of
    /// each window (row-major), as PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">Bad rank, sizes, or padding above kernel/2 (PyTorch's limit).</exception>
    [Differentiable("max_pool2d")]
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding = 0)
    {
        var (oh, ow) = PoolCheck("max_pool2d", x, kernel, stride, padding);
        var k = (kernel, stride, padding);
        return MaxPool(x, oh, ow, k, adaptive: false, "max_pool2d");
    }

    /// <summary>
    /// Shallow-Deep Networks' mixed pooling, <c>alpha·max_pool2d(x, k) + (1 − alpha)·avg_pool2d(x, k)</c> (kernel =
    /// stride = k, no padding), with alpha a one-element tensor. Without gradients to record (inference) it is one
    /// pass over x (<see cref="Pool.MaxAvgMix"/>), bit-identical to the separate ops, which it runs instead when a
    /// gradient must be recorded or for float64.
    /// </summary>
    /// <exception cref="ArgumentException">Bad rank or sizes (as <see cref="MaxPool2d"/>), or alpha not one element.</exception>
    public static Tensor MaxAvgPoolMix(Tensor x, int kernel, Tensor alpha)
    {
        ArgumentNullException.ThrowIfNull(alpha);
        var (oh, ow) = PoolCheck("max_avg_pool_mix", x, kernel, kernel, 0);
        if (alpha.Numel != 1)
        {
            throw new ArgumentException($"max_avg_pool_mix: alpha must have one element, got {Shape.Format(alpha.Shape)}");
        }

        if (x.DType != DType.Float32 || alpha.DType != DType.Float32 || Autograd.ShouldRecord(x, alpha))
        {
            return MaxPool2d(x, kernel, kernel).Mul(alpha).Add(AvgPool2d(x, kernel, kernel).Mul(alpha.Neg().Add(1.0)));
        }

        int h = x.Shape[^2], w = x.Shape[^1], planes = x.Numel / Math.Max(1, h * w);
        var y = Output([.. x.Shape[..^2], oh, ow], x.DType);
        float a = alpha.Span[0], oneMinus = -a + 1f;
        ForPlanes(planes, 2L * h * w, (p0, n) =>
            Pool.MaxAvgMix(x.Span.Slice(p0 * h * w, n * h * w), y.Span.Slice(p0 * oh * ow, n * oh * ow), n, h, w, kernel, a, oneMinus));
        return y;
    }

    /// <summary>
    /// Average pooling (<c>avg_pool2d</c>, floor mode). x: (N, C, H, W) or (C, H, W) → (…, OH, OW). With
    /// <paramref name="countIncludePad"/> (PyTorch's default) the divisor counts padded positions; otherwise only
    /// input positions.
    /// </summary>
    /// <exception cref="ArgumentException">Bad rank, sizes, or padding above kernel/2.</exception>
    [Differentiable("avg_pool2d")]
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride, int padding = 0, bool countIncludePad = true)
    {
        var (oh, ow) = PoolCheck("avg_pool2d", x, kernel, stride, padding);
        var k = (kernel, stride, padding);
        return AvgPool(x, oh, ow, k, countIncludePad, adaptive: false, "avg_pool2d");
    }

    /// <summary>
    /// Adaptive average pooling to (outH, outW): output row i averages input rows [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉),
    /// likewise columns (PyTorch's bin edges). x: (N, C, H, W) or (C, H, W).
    /// </summary>
    [Differentiable("adaptive_avg_pool2d")]
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW)
    {
        AdaptiveCheck("adaptive_avg_pool2d", x, outH, outW);
        return AvgPool(x, outH, outW, default, true, adaptive: true, "adaptive_avg_pool2d");
    }

    /// <summary>Adaptive max pooling to (outH, outW) with PyTorch's bin edges; gradient to each bin's first maximum.</summary>
    [Differentiable("adaptive_max_pool2d")]
    public static Tensor AdaptiveMaxPool2d(Tensor x, int outH, int outW)
    {
        AdaptiveCheck("adaptive_max_pool2d", x, outH, outW);
        return MaxPool(x, outH, outW, default, adaptive: true, "adaptive_max_pool2d");
    }

    private static Tensor MaxPool(Tensor x, int oh, int ow, (int K, int S, int P) k, bool adaptive, string op)
    {
        int h = x.Shape[^2], w = x.Shape[^1], planes = x.Numel / Math.Max(1, h * w);
        var y = Output([.. x.Shape[..^2], oh, ow], x.DType);
        // Each window's argmax, kept for the backward pass in a float buffer of the step's arena viewed as ints: a
        // fresh int[] per call (256 KB at batch 128 for an SDN head) lands on the large object heap every step.
        var arg = TensorMemory.RentFloat(planes * oh * ow, out _, zero: false);
        ForPlanes(planes, h * w * Math.Max(1, k.K * k.K), (p0, n) =>
        {
            var a = MemoryMarshal.Cast<float, int>(arg.AsSpan(p0 * oh * ow, n * oh * ow));
            if (x.DType == DType.Float32)
            {
                Pool.MaxForward<float>(x.Span.Slice(p0 * h * w, n * h * w), y.Span.Slice(p0 * oh * ow, n * oh * ow), a, n, h, w, oh, ow, k, k, adaptive);
            }
            else
            {
                Pool.MaxForward<double>(x.Data<double>().Slice(p0 * h * w, n * h * w), y.Data<double>().Slice(p0 * oh * ow, n * oh * ow), a, n, h, w, oh, ow, k, k, adaptive);
            }
        });

        if (Autograd.ShouldRecord(x))
        {
            Autograd.Record(y, op, [x], gy =>
            {
                var gx = Tensor.Empty(x.Shape, x.DType);
                ForPlanes(planes, h * w, (p0, n) =>
                {
                    var a = MemoryMarshal.Cast<float, int>(arg.AsSpan(p0 * oh * ow, n * oh * ow));
                    if (x.DType == DType.Float32)
                    {
                        Pool.MaxBackward<float>(gy.Span.Slice(p0 * oh * ow, n * oh * ow), a, gx.Span.Slice(p0 * h * w, n * h * w), n, h * w, oh * ow);
                    }
                    else
                    {
                        Pool.MaxBackward<double>(gy.Data<double>().Slice(p0 * oh * ow, n * oh * ow), a, gx.Data<double>().Slice(p0 * h * w, n * h * w), n, h * w, oh * ow);
                    }
                });
                return [gx];
            });
        }

        return y;
    }

    private static Tensor AvgPool(Tensor x, int oh, int ow, (int K, int S, int P) k, bool countIncludePad, bool adaptive, string op)
    {
        int h = x.Shape[^2], w = x.Shape[^1], planes = x.Numel / Math.Max(1, h * w);
        var y = Output([.. x.Shape[..^2], oh, ow], x.DType);
        ForPlanes(planes, h * w, (p0, n) =>
        {
            if (x.DType == DType.Float32)
            {
                Pool.AvgForward<float>(x.Span.Slice(p0 * h * w, n * h * w), y.Span.Slice(p0 * oh * ow, n * oh * ow), n, h, w, oh, ow, k, k, countIncludePad, adaptive);
            }
            else
            {
                Pool.AvgForward<double>(x.Data<double>().Slice(p0 * h * w, n * h * w), y.Data<double>().Slice(p0 * oh * ow, n * oh * ow), n, h, w, oh, ow, k, k, countIncludePad, adaptive);
            }
        });

        if (Autograd.ShouldRecord(x))
        {
            Autograd.Record(y, op, [x], gy =>
            {
                var gx = Tensor.Empty(x.Shape, x.DType);
                ForPlanes(planes, h * w, (p0, n) =>
                {
                    if (x.DType == DType.Float32)
                    {
                        Pool.AvgBackward<float>(gy.Span.Slice(p0 * oh * ow, n * oh * ow), gx.Span.Slice(p0 * h * w, n * h * w), n, h, w, oh, ow, k, k, countIncludePad, adaptive);
                    }
                    else
                    {
                        Pool.AvgBackward<double>(gy.Data<double>().Slice(p0 * oh * ow, n * oh * ow), gx.Data<double>().Slice(p0 * h * w, n * h * w), n, h, w, oh, ow, k, k, countIncludePad, adaptive);
                    }
                });
                return [gx];
            });
        }

        return y;
    }

    // Pool outputs: every element is written by the kernel, so float32 buffers skip the zero-fill.
    private static Tensor Output(int[] shape, DType dtype) =>
        dtype == DType.Float32 ? TensorMemory.Uninitialized(shape) : Tensor.Empty(shape, dtype);

    // Planes in fixed chunks of 16 (each plane's output is independent, so any split gives the same bits).
    private static void ForPlanes(int planes, long workPerPlane, Action<int, int> body)
    {
        const int Chunk = 16;
        int chunks = (planes + Chunk - 1) / Chunk;
        Parallelism.For(chunks, c => body(c * Chunk, Math.Min(Chunk, planes - (c * Chunk))), workPerPlane * Chunk);
    }

    private static (int OH, int OW) PoolCheck(string op, Tensor x, int kernel, int stride, int padding)
    {
        string xs = Shape.Format(x.Shape);
        if (x.Rank is not (3 or 4))
        {
            throw new ArgumentException($"{op}: input {xs} must be (N, C, H, W) or (C, H, W)");
        }

        if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2)
        {
            throw new ArgumentException($"{op}: kernel {kernel} and stride {stride} must be ≥ 1 and padding {padding} in [0, kernel/2]");
        }

        int h = x.Shape[^2], w = x.Shape[^1];
        if (h == 0 || w == 0)
        {
            throw new ArgumentException($"{op}: input {xs} has an empty spatial dimension");
        }

        int oh = ((h + (2 * padding) - kernel) / stride) + 1, ow = ((w + (2 * padding) - kernel) / stride) + 1;
        if (h + (2 * padding) < kernel || w + (2 * padding) < kernel)
        {
            throw new ArgumentException($"{op}: input {xs} padded by {padding} is smaller than the {kernel}×{kernel} kernel");
        }

        return (oh, ow);
    }

    private static void AdaptiveCheck(string op, Tensor x, int outH, int outW)
    {
        if (x.Rank is not (3 or 4) || outH < 1 || outW < 1)
        {
            throw new ArgumentException($"{op}: input {Shape.Format(x.Shape)} must be (N, C, H, W) or (C, H, W) and the output size ({outH}, {outW}) positive");
        }

        if (x.Shape[^2] == 0 || x.Shape[^1] == 0)
        {
            throw new ArgumentException($"{op}: input {Shape.Format(x.Shape)} has an empty spatial dimension");
        }
    }
}
