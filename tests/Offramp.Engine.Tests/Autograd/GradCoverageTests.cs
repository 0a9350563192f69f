using System.Reflection;

namespace Offramp.Engine.Tests.Autograd;

public class GradCoverageTests
{
    [Fact]
    public void EveryDifferentiableOp_HasGradCheckCase()
    {
        var ops = typeof(Tensor).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<DifferentiableAttribute>())
            .Where(a => a is not null)
            .Select(a => a!.Name)
            .ToHashSet();
        var covered = typeof(GradCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes<GradCheckCaseAttribute>())
            .SelectMany(a => a.Ops)
            .ToHashSet();
        Assert.NotEmpty(ops);
        var missing = ops.Except(covered).Order().ToList();
        Assert.True(missing.Count == 0, "differentiable ops without a gradcheck case: " + string.Join(", ", missing));
        var unknown = covered.Except(ops).Order().ToList();
        Assert.True(unknown.Count == 0, "gradcheck cases naming no [Differentiable] op: " + string.Join(", ", unknown));
    }
}
