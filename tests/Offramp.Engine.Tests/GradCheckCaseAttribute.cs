namespace Offramp.Engine.Tests;

/// <summary>Names the differentiable ops (see <see cref="DifferentiableAttribute"/>) a test gradchecks.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class GradCheckCaseAttribute(params string[] ops) : Attribute
{
    public string[] Ops { get; } = ops;
}
