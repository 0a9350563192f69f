using Offramp.Data;

namespace Offramp.Tests.Data;

/// <summary>
/// A fact that needs the real Fashion-MNIST files in <see cref="FashionMnist.DefaultDirectory"/>; it is skipped,
/// saying how to install them, when they are absent (a runtime check at test discovery; CI installs them through
/// tools/setup.sh).
/// </summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!FashionMnist.IsAvailable())
        {
            Skip = $"Fashion-MNIST not found in {FashionMnist.DefaultDirectory}: {FashionMnist.InstallHint}";
        }
    }
}
