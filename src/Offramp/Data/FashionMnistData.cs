namespace Offramp.Data;

/// <summary>The two official splits of Fashion-MNIST, each of shape (N, 1, 28, 28) with labels in [0, 10).</summary>
/// <param name="Train">The 60,000 training images (hold out a calibration part with
/// <see cref="StratifiedSplit"/>).</param>
/// <param name="Test">The 10,000 test images.</param>
public sealed record FashionMnistData(ByteImageDataset Train, ByteImageDataset Test);
