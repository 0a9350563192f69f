using Offramp.Engine;
using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

public class ByteImageTests
{
    [Fact]
    public void Constructor_WrongLength_ThrowsWithSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => new ByteImage(2, 2, 3, new byte[11]));
        Assert.Contains("2×2×3 needs 12 samples, got 11", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ByteImage(0, 2, 1, []));
        Assert.Throws<ArgumentException>(() => new ByteImage(1, 1, 5, new byte[5]));
    }

    [Fact]
    public void Indexer_ReadsAndWritesInterleavedSample()
    {
        var image = ByteImage.Create(3, 2, 3);
        image[1, 2, 0] = 7;
        Assert.Equal(7, image.Pixels[(1 * 3 + 2) * 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => image[2, 0, 0]);
    }

    [Fact]
    public void ToChannels_GreyToRgb_Replicates()
    {
        var rgb = new ByteImage(2, 1, 1, [10, 200]).ToChannels(3);
        Assert.Equal(new byte[] { 10, 10, 10, 200, 200, 200 }, rgb.Pixels);
    }

    [Fact]
    public void ToChannels_RgbToGrey_UsesItu601Luma()
    {
        // Pure red, green, blue, white: 0.299·255, 0.587·255, 0.114·255 rounded, 255.
        var grey = new ByteImage(4, 1, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]).ToChannels(1);
        Assert.Equal(new byte[] { 76, 150, 29, 255 }, grey.Pixels);
    }

    [Theory]
    [InlineData(AlphaMode.CompositeOnBlack, 0, 100)]
    [InlineData(AlphaMode.CompositeOnWhite, 255, 227)]
    [InlineData(AlphaMode.Ignore, 200, 200)]
    public void ToChannels_GreyAlpha_CompositesAsDocumented(AlphaMode mode, byte transparent, byte half)
    {
        // Pixels: grey 200 fully transparent, grey 200 at alpha 128, grey 200 opaque.
        var image = new ByteImage(3, 1, 2, [200, 0, 200, 128, 200, 255]);
        Assert.Equal(new byte[] { transparent, half, 200 }, image.ToChannels(1, mode).Pixels);
    }

    [Fact]
    public void ToChannels_RgbaOnBlack_PremultipliesEachChannel()
    {
        var image = new ByteImage(1, 1, 4, [255, 100, 0, 51]);
        Assert.Equal(new byte[] { 51, 20, 0 }, image.ToChannels(3).Pixels);
    }

    [Fact]
    public void ToChannels_Two_Throws() =>
        Assert.Throws<ArgumentException>(() => ByteImage.Create(1, 1, 3).ToChannels(2));

    [Fact]
    public void ToTensor_SameSize_ShapeNchwAndScaledTo01()
    {
        var image = new ByteImage(2, 1, 3, [0, 51, 255, 255, 102, 0]);
        var t = image.ToTensor(channels: 3);
        Assert.Equal([1, 3, 1, 2], t.Shape);
        // Planar: R plane, G plane, B plane.
        Assert.Equal(new[] { 0f, 1f, 0.2f, 0.4f, 1f, 0f }, t.ToArray());
    }

    [Fact]
    public void ToTensor_RgbaTo28x28Grey_ShapeAndRange()
    {
        var image = ByteImage.Create(100, 60, 4);
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (byte)(i * 13 % 256);
        }

        var t = image.ToTensor(1, 28, 28);
        Assert.Equal([1, 1, 28, 28], t.Shape);
        Assert.All(t.ToArray(), v => Assert.InRange(v, 0f, 1f));
    }

    [Theory]
    [InlineData(ResizeFilter.Bilinear)]
    [InlineData(ResizeFilter.Nearest)]
    public void Resize_ConstantImage_StaysConstant(ResizeFilter filter)
    {
        var image = new ByteImage(280, 280, 1, Enumerable.Repeat((byte)77, 280 * 280).ToArray());
        Assert.All(image.Resize(28, 28, filter).Pixels, v => Assert.Equal(77, v));
        Assert.All(image.Resize(3, 500, filter).Pixels, v => Assert.Equal(77, v));
    }

    [Fact]
    public void Resize_NearestIntegerUpscale_RepeatsPixels()
    {
        var up = new ByteImage(2, 1, 1, [1, 2]).Resize(4, 2, ResizeFilter.Nearest);
        Assert.Equal(new byte[] { 1, 1, 2, 2, 1, 1, 2, 2 }, up.Pixels);
    }

    [Fact]
    public void Resize_BilinearHalving_AveragesWithTriangleWeights()
    {
        // 4 → 2: scale 2, triangle half-width 2. Output 0 is centred at 1.0 and sees input centres 0.5, 1.5, 2.5
        // at weights 0.75, 0.75, 0.25 (normalised by 1.75; the edge is renormalised as PIL does); output 1 is
        // centred at 3.0 and sees 1.5, 2.5, 3.5 at 0.25, 0.75, 0.75.
        var t = new ByteImage(4, 1, 1, [0, 100, 200, 40]).ToTensor(1, 1, 2);
        ImagingAssert.Close([(0.75f * 0 + 0.75f * 100 + 0.25f * 200) / 1.75f / 255f, (0.25f * 100 + 0.75f * 200 + 0.75f * 40) / 1.75f / 255f],
            t.ToArray(), 1e-6, "4→2 bilinear");
    }

    [Fact]
    public void Resize_NonPositiveTarget_Throws() =>
        Assert.Throws<ArgumentException>(() => ByteImage.Create(2, 2, 1).Resize(0, 2));

    [Fact]
    public void FromTensor_ChwAndHw_ProduceImages()
    {
        var rgb = ByteImage.FromTensor(Tensor.FromArray([1f, 0f, 0.5f, 0.5f, 0f, 1f], 3, 1, 2));
        Assert.Equal((2, 1, 3), (rgb.Width, rgb.Height, rgb.Channels));
        Assert.Equal(new byte[] { 255, 128, 0, 0, 128, 255 }, rgb.Pixels);
        Assert.Equal(1, ByteImage.FromTensor(Tensor.Zeros(5, 4)).Channels);
    }

    [Fact]
    public void FromTensor_BatchOfTwo_ThrowsWithShape()
    {
        var e = Assert.Throws<ArgumentException>(() => ByteImage.FromTensor(Tensor.Zeros(2, 1, 4, 4)));
        Assert.Contains("(2, 1, 4, 4)", e.Message, StringComparison.Ordinal);
    }
}
