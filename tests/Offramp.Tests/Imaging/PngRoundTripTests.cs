using Offramp.Engine;
using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

public class PngRoundTripTests
{
    private static ByteImage Pattern(int width, int height, int channels)
    {
        var image = ByteImage.Create(width, height, channels);
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            image.Pixels[i] = (byte)((i * 37 + i / 7) & 0xFF);
        }

        return image;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void EncodeDecode_EachChannelCount_ReturnsSamePixels(int channels)
    {
        var image = Pattern(13, 5, channels);
        var back = PngDecoder.Decode(PngEncoder.Encode(image));
        Assert.Equal((13, 5, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(image.Pixels, back.Pixels);
    }

    [Fact]
    public void EncodeDecode_LargerRgba_ReturnsSamePixels()
    {
        var image = Pattern(257, 131, 4);
        Assert.Equal(image.Pixels, PngDecoder.Decode(PngEncoder.Encode(image)).Pixels);
    }

    [Fact]
    public void EncodeDecode_OnePixel_ReturnsSamePixel()
    {
        var image = new ByteImage(1, 1, 3, [10, 200, 30]);
        Assert.Equal(image.Pixels, PngDecoder.Decode(PngEncoder.Encode(image)).Pixels);
    }

    [Fact]
    public void Encode_SameImage_SameBytes()
    {
        Assert.Equal(PngEncoder.Encode(Pattern(9, 4, 3)), PngEncoder.Encode(Pattern(9, 4, 3)));
    }

    [Fact]
    public void SaveLoad_File_RoundTripsAndLeavesNoTempFile()
    {
        string dir = Directory.CreateTempSubdirectory("offramp-png-").FullName;
        try
        {
            string path = Path.Combine(dir, "digit.png");
            var image = Pattern(28, 28, 1);
            PngEncoder.Save(image, path);
            PngEncoder.Save(image, path); // overwrite
            Assert.Equal(image.Pixels, PngDecoder.Load(path).Pixels);
            Assert.Equal(["digit.png"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Encode_TensorExport_DecodesToRoundedValues()
    {
        var t = Tensor.FromArray([0f, 0.5f, 1f, 2f, -1f, 0.2f], 1, 1, 2, 3);
        var image = ByteImage.FromTensor(t);
        var back = PngDecoder.Decode(PngEncoder.Encode(image));
        Assert.Equal(new byte[] { 0, 128, 255, 255, 0, 51 }, back.Pixels);
    }
}
