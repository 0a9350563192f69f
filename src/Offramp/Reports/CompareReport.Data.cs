using System.Globalization;
using System.Text.Json.Nodes;

namespace Offramp.Reports;

public sealed partial class CompareReport
{
    /// <summary>The comparison's numbers as JSON: the budgets, each run (exits, full MACs, parameters, epochs, curve,
    /// accuracy within each budget) and each pair's low-budget-half comparison.</summary>
    public JsonObject ToJson() => new()
    {
        ["max_full_macs"] = MaxFullCost,
        ["budgets"] = new JsonArray([.. Budgets.Select((b, i) => (JsonNode)new JsonObject { ["fraction_of_max_full"] = BudgetFractions[i], ["macs"] = b })]),
        ["runs"] = new JsonArray([.. Runs.Select((r, i) => (JsonNode)new JsonObject
        {
            ["label"] = r.Label,
            ["model"] = r.ModelName,
            ["full_macs"] = r.Curve.FullCost,
            ["params"] = r.Parameters,
            ["epochs"] = r.Epochs,
            ["test_samples"] = r.TestSamples,
            ["family"] = r.Curve.Family,
            ["exits"] = new JsonArray([.. r.Curve.Anytime.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name, ["macs"] = p.Cost, ["test_accuracy"] = J(p.Accuracy),
            })]),
            ["accuracy_within_budgets"] = new JsonArray([.. AccuracyWithinBudget[i].Select(J)]),
            ["curve"] = new JsonArray([.. r.Curve.Points.Select(p => (JsonNode)new JsonObject
            {
                ["p"] = p.Calibration.P is double pv ? JsonValue.Create(pv) : null, ["test_cost"] = J(p.Cost), ["test_accuracy"] = J(p.Accuracy),
            })]),
        })]),
        ["pairs"] = new JsonArray([.. Pairs.Select(p => (JsonNode)new JsonObject
        {
            ["a"] = Runs[p.A].Label,
            ["b"] = Runs[p.B].Label,
            ["common_low_macs"] = p.Result is { } r ? r.CommonLow : null,
            ["common_high_macs"] = p.Result?.CommonHigh,
            ["low_half_end_macs"] = p.Result?.HalfEnd,
            ["fraction_a_higher"] = p.Result?.FractionAHigher,
            ["fraction_b_higher"] = p.Result?.FractionBHigher,
            ["mean_a_minus_b"] = p.Result is { } m ? J(m.MeanDifference) : null,
            ["summary"] = Describe(p),
        })]),
    };

    /// <summary>The Table-3 rows as CSV: one row per run; exit columns are by position (name, MACs, test accuracy),
    /// empty where a run has fewer exits; accuracy within a budget is empty where the run cannot meet it.</summary>
    public string ToCsv()
    {
        int maxExits = Runs.Max(r => r.Curve.Anytime.Count);
        var header = new List<string> { "label", "model", "full_macs", "params", "epochs", "test_samples" };
        header.AddRange(Budgets.Select(b => $"acc_within_{F(b)}_macs"));
        for (int k = 1; k <= maxExits; k++)
        {
            header.AddRange([$"exit{k}_name", $"exit{k}_macs", $"exit{k}_test_accuracy"]);
        }

        return Csv(header, Runs.Select((r, i) =>
        {
            var row = new List<string>
            {
                r.Label, r.ModelName, F(r.Curve.FullCost), r.Parameters.ToString(CultureInfo.InvariantCulture),
                r.Epochs.ToString(CultureInfo.InvariantCulture), r.TestSamples.ToString(CultureInfo.InvariantCulture),
            };
            row.AddRange(AccuracyWithinBudget[i].Select(F));
            for (int k = 0; k < maxExits; k++)
            {
                row.AddRange(k < r.Curve.Anytime.Count
                    ? [r.Curve.Anytime[k].Name, F(r.Curve.Anytime[k].Cost), F(r.Curve.Anytime[k].Accuracy)]
                    : ["", "", ""]);
            }

            return (IEnumerable<string>)row;
        }));
    }
}
