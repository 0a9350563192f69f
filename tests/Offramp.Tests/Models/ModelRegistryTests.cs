using Offramp.Models;

namespace Offramp.Tests.Models;

/// <summary>The registry of named models.</summary>
public class ModelRegistryTests
{
    [Fact]
    public void All_HoldsTheResNets_WithUniqueNames()
    {
        var names = ModelRegistry.All.Select(e => e.Name).ToList();
        string[] resnets =
            ["resnet8", "resnet20", "resnet32", "resnet56", "resnet110", "resnet18", "resnet34", "resnet50"];
        Assert.Subset(names.ToHashSet(), resnets.ToHashSet());
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(ModelRegistry.All, e => Assert.False(string.IsNullOrWhiteSpace(e.Description)));
    }

    [Fact]
    public void All_FromManyThreads_IsOneList()
    {
        var lists = new IReadOnlyList<ModelEntry>[8];
        Parallel.For(0, lists.Length, i => lists[i] = ModelRegistry.All);
        Assert.All(lists, l => Assert.Same(lists[0], l));
    }

    [Fact]
    public void Create_UnknownName_ListsKnownModels()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("resnet9000"));
        Assert.Contains("resnet20", e.Message, StringComparison.Ordinal);
        Assert.NotNull(ModelRegistry.Create("ResNet8"));
    }
}
