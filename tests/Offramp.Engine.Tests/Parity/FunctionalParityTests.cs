using Offramp.Engine.Functional;

namespace Offramp.Engine.Tests.Parity;

/// <summary>Losses, softmax and attention against PyTorch (forward and backward).</summary>
public class FunctionalParityTests
{
    private static readonly HashSet<string> FunctionalTypes =
        ["CrossEntropy", "CrossEntropySoft", "KlDistill", "KlDiv", "MseLoss", "L1Loss", "Softmax", "LogSoftmax", "Sdpa"];

    public static TheoryData<string> Cases => ParityFixture.Names(FunctionalTypes.Contains);

    private static Reduction ParseReduction(string s) => s switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        "batchmean" => Reduction.BatchMean,
        _ => throw new ArgumentException($"unknown reduction {s}"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Functional_MatchesPyTorch(string name)
    {
        var fx = ParityFixture.Load(name);
        var spec = fx.Spec;
        var x = fx.Inputs();
        Tensor y = spec.GetProperty("type").GetString() switch
        {
            "CrossEntropy" => F.CrossEntropy(x[0], fx.T("target").ToArray().Select(v => (int)v).ToArray(),
                spec.GetProperty("smoothing").GetDouble(), ParseReduction(spec.GetProperty("reduction").GetString()!)),
            "CrossEntropySoft" => F.CrossEntropy(x[0], fx.T("target"), spec.GetProperty("smoothing").GetDouble(),
                ParseReduction(spec.GetProperty("reduction").GetString()!)),
            "KlDistill" => Distill(x[0], x[1], spec.GetProperty("T").GetDouble()),
            "KlDiv" => F.KlDiv(x[0], x[1], ParseReduction(spec.GetProperty("reduction").GetString()!), spec.GetProperty("log_target").GetBoolean()),
            "MseLoss" => F.MseLoss(x[0], x[1], ParseReduction(spec.GetProperty("reduction").GetString()!)),
            "L1Loss" => F.L1Loss(x[0], x[1], ParseReduction(spec.GetProperty("reduction").GetString()!)),
            "Softmax" => F.Softmax(x[0], spec.GetProperty("axis").GetInt32()),
            "LogSoftmax" => F.LogSoftmax(x[0], spec.GetProperty("axis").GetInt32()),
            "Sdpa" => F.ScaledDotProductAttention(x[0], x[1], x[2], x.Length > 3 ? x[3] : null),
            var t => throw new InvalidOperationException($"no builder for {t}"),
        };
        fx.CheckForwardBackward(y, x);
    }

    // Self-distillation as the papers write it: KL(softmax(teacher/T) ‖ softmax(student/T)) · T², batch mean.
    private static Tensor Distill(Tensor student, Tensor teacher, double temperature) =>
        F.KlDiv(F.LogSoftmax(student.Div(temperature), 1), F.Softmax(teacher.Div(temperature), 1), Reduction.BatchMean)
            .Mul(temperature * temperature);
}
