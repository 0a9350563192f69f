using Offramp.Engine.Nn;

namespace Offramp.Engine.Optim;

/// <summary>Splits a model's parameters into weight-decay and no-weight-decay groups.</summary>
public static class WeightDecayGroups
{
    /// <summary>
    /// timm's <c>param_groups_weight_decay</c>: trainable parameters of rank ≤ 1 (biases, norm weights), names
    /// ending in <c>.bias</c>, and names in <paramref name="noWeightDecay"/> (e.g. <c>pos_embed</c>,
    /// <c>cls_token</c>) go to a group with weight decay 0; the rest to a group with
    /// <paramref name="weightDecay"/>. Frozen parameters are left out. Order as timm: no-decay group first.
    /// </summary>
    /// <returns>Two groups, named "no_decay" and "decay" (either may be empty).</returns>
    public static ParamGroup[] Split(Module model, double weightDecay = 1e-5, IEnumerable<string>? noWeightDecay = null)
    {
        var skip = new HashSet<string>(noWeightDecay ?? [], StringComparer.Ordinal);
        var decay = new List<Tensor>();
        var noDecay = new List<Tensor>();
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!p.RequiresGrad)
            {
                continue;
            }

            if (p.Rank <= 1 || name.EndsWith(".bias", StringComparison.Ordinal) || skip.Contains(name))
            {
                noDecay.Add(p);
            }
            else
            {
                decay.Add(p);
            }
        }

        return [new ParamGroup(noDecay, weightDecay: 0.0, name: "no_decay"), new ParamGroup(decay, weightDecay: weightDecay, name: "decay")];
    }
}
