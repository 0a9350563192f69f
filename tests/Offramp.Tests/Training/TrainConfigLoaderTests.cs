using Offramp.Training;

namespace Offramp.Tests.Training;

public class TrainConfigLoaderTests
{
    private static string Write(TempDir dir, string name, string text)
    {
        var path = dir.Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static ConfigException LoadFails(string? path, params (string Key, string Value)[] overrides) =>
        Assert.Throws<ConfigException>(() => TrainConfigLoader.Load(path, overrides.Select(o => KeyValuePair.Create(o.Key, o.Value))));

    [Fact]
    public void Load_YamlAndJson_GiveTheSameConfig()
    {
        using var dir = new TempDir();
        var yaml = Write(dir, "c.yaml", """
            # a comment
            model: resnet8
            epochs: 4
            lr: 1e-3
            optimizer: adamw
            nesterov: false
            exit_after: [1, 2]
            exit_weights: [0.5, 0.5, 1]
            ema_decay: 0.99
            model_extra: {depth: 3, act: relu}
            seed: 18446744073709551615
            data_dir: "0123"
            distill_temperature: 2
            """);
        var json = Write(dir, "c.json", """
            { "model": "resnet8", "epochs": 4, "lr": 0.001, "optimizer": "adamw", "nesterov": false, "exit_after": [1, 2],
              "exit_weights": "0.5,0.5,1", "ema_decay": 0.99, "model_extra": {"depth": "3", "act": "relu"},
              "seed": 18446744073709551615, "data_dir": "0123", "distill_temperature": 2.0 }
            """);
        var a = TrainConfigLoader.Load(yaml);
        var b = TrainConfigLoader.Load(json);
        Assert.Equal(TrainConfigLoader.ToJson(a), TrainConfigLoader.ToJson(b));
        Assert.Equal(4, a.Epochs);
        Assert.Equal(1e-3, a.Lr);
        Assert.Equal([1, 2], a.ExitAfter!);
        Assert.Equal(ExitWeighting.Explicit(0.5, 0.5, 1), a.ExitWeights);
        Assert.Equal("3", a.ModelExtra!["depth"]);
        Assert.Equal(ulong.MaxValue, a.Seed);
        Assert.Equal("0123", a.DataDir);
        Assert.Equal(2.0, a.DistillTemperature); // an integer where a number is expected
    }

    [Fact]
    public void Load_UnknownKey_NamesKeyAndFileWithSuggestion()
    {
        using var dir = new TempDir();
        var path = Write(dir, "bad.yaml", "model: m\nbatch_sise: 3\n");
        var e = LoadFails(path);
        Assert.Equal("batch_sise", e.Key);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'batch_size'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("batch_size: abc", "batch_size", "integer")]
    [InlineData("batch_size: 3.5", "batch_size", "integer")]
    [InlineData("batch_size: \"64\"", "batch_size", "integer")]
    [InlineData("lr: fast", "lr", "number")]
    [InlineData("augment: yes", "augment", "true or false")]
    [InlineData("exit_after: 3", "exit_after", "list of integers")]
    [InlineData("epochs: null", "epochs", "cannot be null")]
    [InlineData("seed: -1", "seed", "integer >= 0")]
    [InlineData("exit_weights: [1, a]", "exit_weights", "list of numbers")]
    public void Load_WrongType_NamesKey(string line, string key, string expected)
    {
        using var dir = new TempDir();
        var path = Write(dir, "c.yml", "model: m\n" + line + "\n");
        var e = LoadFails(path);
        Assert.Equal(key, e.Key);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"model\": \"m\", \"epochs\": 0}", "epochs", "must be > 0")]
    [InlineData("{\"model\": \"m\", \"optimizer\": \"adam\"}", "optimizer", "sgd, adamw")]
    [InlineData("{\"model\": \"m\", \"distill_alpha\": 2}", "distill_alpha", "[0, 1]")]
    [InlineData("{\"model\": \"m\", \"schedule\": \"step\"}", "lr_milestones", "milestones")]
    [InlineData("{\"epochs\": 3}", "model", "required")]
    [InlineData("{\"model\": \"m\", \"exit_weights\": \"heavy\"}", "exit_weights", "equal, increasing, final2")]
    public void Load_OutOfRange_NamesKey(string json, string key, string expected)
    {
        using var dir = new TempDir();
        var e = LoadFails(Write(dir, "c.json", json));
        Assert.Equal(key, e.Key);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c.json", "{\"model\": \"m\",", "not valid JSON")]
    [InlineData("c.json", "{\"model\": \"m\", \"model\": \"n\"}", "not valid JSON")]
    [InlineData("c.yaml", "model: m\nmodel: n\n", "Duplicate key model")]
    [InlineData("c.yaml", "model: [m\n", "not valid YAML")]
    [InlineData("c.yaml", "- a\n- b\n", "mapping")]
    [InlineData("c.toml", "model = 'm'", ".json nor .yaml")]
    public void Load_MalformedFile_Rejected(string name, string text, string expected)
    {
        using var dir = new TempDir();
        var e = LoadFails(Write(dir, name, text));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        var e = LoadFails("/nonexistent/dir/c.yaml");
        Assert.Contains("/nonexistent/dir/c.yaml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CommandLine_OverridesFile()
    {
        using var dir = new TempDir();
        var path = Write(dir, "c.yaml", "model: m\nepochs: 4\nlr: 0.1\nexit_after: [1]\n");
        var c = TrainConfigLoader.Load(path, [KeyValuePair.Create("epochs", "9"), KeyValuePair.Create("--exit-after", "2,3"),
            KeyValuePair.Create("model_extra", "a=1,b=x"), KeyValuePair.Create("grad_clip", "1.5"), KeyValuePair.Create("exit_weights", "final2")]);
        Assert.Equal(9, c.Epochs);
        Assert.Equal(0.1, c.Lr);
        Assert.Equal([2, 3], c.ExitAfter!);
        Assert.Equal("x", c.ModelExtra!["b"]);
        Assert.Equal(1.5, c.GradClip);
        Assert.Equal(ExitWeighting.FinalDouble, c.ExitWeights);
    }

    [Fact]
    public void Load_BadCommandLineValue_NamesTheOption()
    {
        using var dir = new TempDir();
        var path = Write(dir, "c.yaml", "model: m\n");
        var e = LoadFails(path, ("batch_size", "many"));
        Assert.Equal("--batch-size", e.Key);
        Assert.Equal(TrainConfigLoader.CommandLine, e.ConfigSource);

        // Out of range from the command line is blamed on the command line, not on the file.
        var r = LoadFails(path, ("epochs", "-2"));
        Assert.Equal("--epochs", r.Key);
        Assert.Equal(TrainConfigLoader.CommandLine, r.ConfigSource);
        Assert.Equal("--nope", LoadFails(path, ("nope", "1")).Key);
    }

    [Fact]
    public void Save_Then_Load_RoundTrips()
    {
        using var dir = new TempDir();
        var c = new TrainConfig
        {
            Model = "m", ExitWeights = ExitWeighting.Explicit(0.25, 1), ExitAfter = [1, 3], ModelExtra = new() { ["k"] = "v" },
            EmaDecay = 0.999, Lr = 0.1 + 0.2, Seed = 1UL << 63,
        };
        var path = dir.Combine("config.json");
        TrainConfigLoader.Save(c, path);
        var back = TrainConfigLoader.Load(path);
        Assert.Equal(TrainConfigLoader.ToJson(c), TrainConfigLoader.ToJson(back));
        Assert.Equal(c.Lr, back.Lr);
        Assert.Equal(TrainConfigLoader.Keys.Count, TrainConfigLoader.ToTree(c).Count);
    }
}
