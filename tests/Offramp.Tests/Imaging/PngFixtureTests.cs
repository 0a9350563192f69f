using System.Text.Json;
using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

/// <summary>
/// PNGs written by PIL or by tools/gen_png_fixtures.py's raw writer (PIL-verified), with the pixels PIL decodes.
/// Regenerate with <c>/usr/bin/python3 tools/gen_png_fixtures.py</c>; never edit them by hand.
/// </summary>
public class PngFixtureTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "png");

    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json"))).RootElement);

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Expected.Value.GetProperty("files").EnumerateObject())
        {
            data.Add(f.Name);
        }

        return data;
    }

    private static byte[] Bytes(JsonElement pixels) => pixels.EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(Files))]
    public void Load_IndependentFixture_MatchesPilPixels(string name)
    {
        var e = Expected.Value.GetProperty("files").GetProperty(name);
        var image = PngDecoder.Load(Path.Combine(Dir, name));
        Assert.Equal(e.GetProperty("width").GetInt32(), image.Width);
        Assert.Equal(e.GetProperty("height").GetInt32(), image.Height);
        Assert.Equal(e.GetProperty("channels").GetInt32(), image.Channels);
        Assert.Equal(Bytes(e.GetProperty("pixels")), image.Pixels);
    }

    [Fact]
    public void Files_CoverEveryLayout_InterlacedIncluded()
    {
        var files = Expected.Value.GetProperty("files").EnumerateObject().ToList();
        Assert.True(files.Count >= 15);
        Assert.Contains(files, f => f.Value.GetProperty("interlaced").GetBoolean());
    }

    [Fact]
    public void ToChannels_RgbToGrey_MatchesPilConvertL()
    {
        var luma = Expected.Value.GetProperty("luma");
        var rgb = PngDecoder.Load(Path.Combine(Dir, luma.GetProperty("source").GetString()!));
        Assert.Equal(Bytes(luma.GetProperty("pixels")), rgb.ToChannels(1).Pixels);
    }

    public static TheoryData<int> ResizeCases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Expected.Value.GetProperty("resize").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    /// <summary>PIL resamples in 8-bit fixed point with a rounded intermediate pass; float differs by ≤ 1 level.</summary>
    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void ToTensor_Resize_MatchesPilResizeWithinOneLevel(int index)
    {
        var c = Expected.Value.GetProperty("resize")[index];
        var grey = PngDecoder.Load(Path.Combine(Dir, c.GetProperty("source").GetString()!));
        int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
        var filter = c.GetProperty("filter").GetString() == "nearest" ? ResizeFilter.Nearest : ResizeFilter.Bilinear;
        var tensor = grey.ToTensor(1, h, w, filter);
        Assert.Equal([1, 1, h, w], tensor.Shape);

        float[] expected = Bytes(c.GetProperty("pixels")).Select(b => b / 255f).ToArray();
        double atol = filter == ResizeFilter.Nearest ? 1e-6 : 1.01 / 255;
        ImagingAssert.Close(expected, tensor.ToArray(), atol, $"{filter} {grey.Width}×{grey.Height}→{w}×{h}");
        Assert.Equal(Bytes(c.GetProperty("pixels")).Length, grey.Resize(w, h, filter).Pixels.Length);
    }
}
