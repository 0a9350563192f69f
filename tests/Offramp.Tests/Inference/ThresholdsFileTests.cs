using Offramp.Engine;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Tests.Data;

namespace Offramp.Tests.Inference;

public sealed class ThresholdsFileTests
{
    private static ExitLogits Calibration() =>
        new(InferenceData.Random(new Rng(21), 3, 60, 4).Values, 3, 60, 4, [100.0, 250.0, 400.0], null, ["e1", "e2", "e3"], "net");

    private static BudgetResult Budgeted() =>
        new ThresholdCalibrator(Calibration()).ForBudget(Budget.FractionOfFullCost(0.6), ExitDistributionFamily.MsdNet(3));

    [Fact]
    public void Save_ThenLoadForSameModel_RoundTripsPolicyBudgetAndCalibration()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "t.json");
        var result = Budgeted();

        ThresholdsFile.FromBudget(result).Save(path);
        var loaded = ThresholdsFile.Load(path, Calibration().Identity);

        var policy = Assert.IsType<MaxSoftmaxPolicy>(loaded.Policy);
        Assert.Equal(result.Calibration.Thresholds, policy.Thresholds);
        Assert.Equal(double.NegativeInfinity, policy.Thresholds[^1]);
        Assert.Equal(Budget.FractionOfFullCost(0.6), loaded.Budget);
        Assert.Equal(240.0, loaded.BudgetMacs!.Value, 9);
        Assert.Equal(result.Calibration.Cost, loaded.Calibration!.Cost);
        Assert.True(double.IsNaN(loaded.Calibration.Accuracy));
        Assert.Equal(result.Calibration.Histogram, loaded.Calibration.Histogram);
        Assert.Equal(result.Calibration.Distribution, loaded.Calibration.Distribution);
        Assert.Equal(Calibration().Identity, loaded.Model);
    }

    [Fact]
    public void Load_FileForOtherExitCosts_ThrowsModelMismatchListingTheDifference()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "t.json");
        ThresholdsFile.FromBudget(Budgeted()).Save(path);
        var other = new ModelIdentity("net", ["e1", "e2", "e3"], [100.0, 300.0, 400.0]);

        var ex = Assert.Throws<ModelMismatchException>(() => ThresholdsFile.Load(path, other));

        Assert.Contains("exit 1 ('e2') cost 250 vs 300", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileForModelWithMoreExits_ThrowsModelMismatch()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "t.json");
        ThresholdsFile.FromBudget(Budgeted()).Save(path);
        var model = ModelIdentity.From("net", [new ExitInfo(0, "e1", 100), new ExitInfo(1, "e2", 250), new ExitInfo(2, "e3", 400), new ExitInfo(3, "e4", 500)]);

        var ex = Assert.Throws<ModelMismatchException>(() => ThresholdsFile.Load(path, model));

        Assert.Contains("3 exits vs 4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EditedCost_ThrowsHashMismatch()
    {
        string json = ThresholdsFile.FromBudget(Budgeted()).ToJson().Replace("\"cost\": 250", "\"cost\": 251", StringComparison.Ordinal);

        var ex = Assert.Throws<ThresholdsFileException>(() => ThresholdsFile.Parse(json));

        Assert.Contains("hash", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownField_Throws()
    {
        string json = ThresholdsFile.FromBudget(Budgeted()).ToJson().Replace("\"version\": 1,", "\"version\": 1, \"extra\": 0,", StringComparison.Ordinal);

        var ex = Assert.Throws<ThresholdsFileException>(() => ThresholdsFile.Parse(json, "x.json"));

        Assert.Contains("'extra'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"format\": \"offramp.thresholds\"}")]
    public void Parse_Malformed_Throws(string json)
    {
        Assert.Throws<ThresholdsFileException>(() => ThresholdsFile.Parse(json));
    }

    [Fact]
    public void Parse_WrongThresholdCount_Throws()
    {
        var id = Calibration().Identity;
        string json = new ThresholdsFile(id, new MaxSoftmaxPolicy([0.9, 0.8, double.NegativeInfinity])).ToJson()
            .Replace("0.8,", "", StringComparison.Ordinal);

        var ex = Assert.Throws<ThresholdsFileException>(() => ThresholdsFile.Parse(json));

        Assert.Contains("2 thresholds for a model with 3 exits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_ThenParse_PatienceRegressionRoundTrips()
    {
        var f = new ThresholdsFile(Calibration().Identity, PatiencePolicy.Regression(3, 0.25));

        var loaded = ThresholdsFile.Parse(f.ToJson());

        var p = Assert.IsType<PatiencePolicy>(loaded.Policy);
        Assert.Equal((3, 0.25), (p.Patience, p.Tolerance!.Value));
        Assert.Null(loaded.Budget);
        Assert.Null(loaded.Calibration);
    }

    [Fact]
    public void ToJson_ThenParse_EntropyInfinityRoundTrips()
    {
        var f = new ThresholdsFile(Calibration().Identity, new EntropyPolicy([double.NegativeInfinity, 0.4, double.PositiveInfinity]));

        var p = Assert.IsType<EntropyPolicy>(ThresholdsFile.Parse(f.ToJson()).Policy);

        Assert.Equal([double.NegativeInfinity, 0.4, double.PositiveInfinity], p.Thresholds);
    }

    [Fact]
    public void Constructor_UserPolicy_Throws()
    {
        var user = new UserPolicy();

        Assert.Throws<ArgumentException>(() => new ThresholdsFile(Calibration().Identity, user));
    }

    [Fact]
    public void ModelIdentity_SameContents_SameHash()
    {
        var a = new ModelIdentity("m", ["x", "y"], [1.0, 2.0]);
        var b = new ModelIdentity("m", ["x", "y"], [1.0, 2.0]);
        var c = new ModelIdentity("m", ["x", "y"], [1.0, 2.5]);

        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Hash, c.Hash);
        Assert.Equal(64, a.Hash.Length);
    }

    private sealed class UserPolicy : IExitPolicy
    {
        public string Name => "user";

        public bool ShouldExit(SampleOutputs outputs) => true;
    }
}
