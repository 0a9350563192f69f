// SDN's internal classifier: Kaya, Hong, Dumitras, "Shallow-Deep Networks: Understanding and Mitigating Network
// Overthinking", ICML 2019; official code yigitcankaya/Shallow-Deep-Networks, aux_funcs.py (InternalClassifier,
// feature_reduction_formula).
//
// Followed exactly: the pooling rule (k = ⌊s/4⌋ for a side s ≥ 4, max and avg pool with kernel = stride = k, so the
// grid is ⌊s/k⌋ — 4×4 when 4 divides s, e.g. 7×7 for s = 7 where k = 1); for s < 4 no pooling and no alpha; the mix
// alpha·maxpool + (1 − alpha)·avgpool with one learned scalar alpha ~ U(0, 1) (torch.rand(1); the ctor's unused
// alpha=0.5 argument is ignored there too); flatten + Linear with PyTorch's default init; parameter names `alpha`,
// `linear.weight`, `linear.bias`.
// Deviations:
// - For k = 1 (sides 4 to 7) the pools are the identity, so the head skips them and reads the map as it is (the same
//   value up to rounding); alpha stays a parameter (the official state dict has it) and gets a zero gradient, as in
//   the official code.
// - The official ResNet SDN feeds the IC the block's pre-activation sum (BasicBlockWOutput.forward returns
//   relu(fwd) but calls output(fwd)); Offramp heads read the block's output after its ReLU, the state the staged
//   forward carries (as SDN's own only_output does).
// - Only square feature maps (the official rule takes one input_size); a non-square map is rejected.
using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Nn;

namespace Offramp.Models.Heads;

/// <summary>
/// SDN's pooled exit head (<c>InternalClassifier</c>, Kaya et al. 2019): mixed max/avg pooling to a small grid,
/// alpha·MaxPool(k) + (1 − alpha)·AvgPool(k) with a learned scalar <c>alpha</c>, then flatten + Linear.
/// </summary>
/// <remarks>
/// For a square s×s input the kernel is k = ⌊s/4⌋ (stride k), giving a ⌊s/k⌋² grid; for s &lt; 4 the map is flattened
/// unpooled and the head has no <c>alpha</c>. Parameters: <c>alpha</c> (1), <c>linear.weight</c> (K, C·g²),
/// <c>linear.bias</c> (K), g the grid side.
/// </remarks>
public sealed class SdnExitHead : ExitHead
{
    /// <summary>Creates the head for a (C, H, W) = (<paramref name="channels"/>, <paramref name="height"/>,
    /// <paramref name="width"/>) feature map.</summary>
    /// <exception cref="ArgumentException">The map is not square, or a size or count is not positive.</exception>
    public SdnExitHead(int channels, int height, int width, int numClasses, Rng rng)
    {
        if (channels <= 0 || height <= 0 || numClasses <= 0 || height != width)
        {
            throw new ArgumentException("SdnExitHead needs a square feature map and positive counts; got " +
                $"(C, H, W) = ({channels}, {height}, {width}), classes {numClasses}");
        }

        InputSize = height;
        Channels = channels;
        // SDN: feature_reduction_formula(input_size) = int(input_size / 4) if input_size >= 4 else -1
        KernelSize = height >= 4 ? height / 4 : 0;
        GridSize = KernelSize > 0 ? height / KernelSize : height;
        if (KernelSize > 0)
        {
            // The official module tree; the forward runs both pools as one F.MaxAvgPoolMix.
            RegisterModule("max_pool", new MaxPool2d(KernelSize));
            RegisterModule("avg_pool", new AvgPool2d(KernelSize));
            // SDN: self.alpha = nn.Parameter(torch.rand(1))
            Alpha = RegisterParameter("alpha", Init.Uniform(NewTensor(1), rng));
        }

        Linear = RegisterModule("linear", new Linear(channels * GridSize * GridSize, numClasses, rng));
    }

    /// <summary>Side s of the square feature map the head was built for.</summary>
    public int InputSize { get; }

    /// <summary>Pooling kernel and stride k = ⌊s/4⌋, or 0 when the map is not pooled (s &lt; 4).</summary>
    public int KernelSize { get; }

    /// <summary>Side of the pooled grid the Linear reads.</summary>
    public int GridSize { get; }

    /// <summary>The learned max/avg mixing weight, (1), or null when the map is not pooled.</summary>
    public Tensor? Alpha { get; }

    /// <summary>The classifier, (K, C·GridSize²).</summary>
    public Linear Linear { get; }

    private int Channels { get; }

    /// <inheritdoc/>
    public override int InChannels => Channels;

    /// <inheritdoc/>
    public override int NumClasses => Linear.OutFeatures;

    /// <inheritdoc/>
    public override long Macs => (long)Linear.InFeatures * Linear.OutFeatures;

    /// <summary>x: (N, C, s, s) → logits (N, K).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, C, s, s) for the C and s of this
    /// head.</exception>
    public override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        if (x.Shape[2] != InputSize || x.Shape[3] != InputSize)
        {
            throw new ArgumentException(
                $"SdnExitHead(in_channels={Channels}, input_size={InputSize}) got input {Shape.Format(x.Shape)}");
        }

        if (Alpha is not null && KernelSize == 1 && Autograd.ShouldRecord(x, Alpha))
        {
            // k = 1 (sides 4–7): both pools are the identity and alpha·x + (1 − alpha)·x = x, so the pools are skipped;
            // adding 0·alpha keeps alpha in the graph with the gradient the official mix gives it, Σ g·(max − avg) = 0
            // (only when a graph is recorded: in inference the map is read as it is, which differs from x + 0·alpha only
            // for a −0 input or a non-finite alpha — never after a ReLU with a trained alpha).
            x = x.Add(Alpha.Mul(0.0));
        }
        else if (Alpha is not null && KernelSize > 1)
        {
            // SDN: alpha * max_pool(x) + (1 - alpha) * avg_pool(x) — one fused pass when nothing is recorded.
            x = F.MaxAvgPoolMix(x, KernelSize, Alpha);
        }

        // Explicit sizes, not -1: an empty batch (every sample exited) must still reshape.
        return Linear.Forward(x.Reshape(x.Shape[0], x.Shape[1] * x.Shape[2] * x.Shape[3]));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"input_size={InputSize}, kernel_size={KernelSize}, grid={GridSize}";
}
