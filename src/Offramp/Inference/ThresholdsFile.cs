using System.Text;
using System.Text.Json;

using Offramp.Engine.IO;

namespace Offramp.Inference;

/// <summary>
/// Calibrated thresholds on disk (JSON): the model they belong to (name, exits, costs, hash), the policy and its
/// thresholds, the budget, and how they were calibrated. Loading for a model checks that it is the same one.
/// </summary>
/// <remarks>
/// <para>Layout (version 1):</para>
/// <code>
/// { "format": "offramp.thresholds", "version": 1,
///   "model": { "name": "…", "exits": [ { "name": "exit1", "cost": 1.2e6 }, … ], "hash": "sha256 hex" },
///   "policy": { "kind": "max_softmax" | "entropy", "thresholds": [ 0.93, …, "-Infinity" ] }
///           | { "kind": "patience", "patience": 2 } | { "kind": "patience_regression", "patience": 2, "tolerance": 0.1 },
///   "budget": null | { "value": 0.5, "is_fraction": true, "macs": 6.1e5 },
///   "calibration": null | { "cost": …, "accuracy": … | null, "samples": N, "generator": "msdnet", "p": … | null,
///                           "distribution": [ … ], "histogram": [ … ] } }
/// </code>
/// <para>Infinite thresholds are the strings <c>"Infinity"</c> and <c>"-Infinity"</c> (JSON has no infinity). The
/// reader is strict: unknown or missing fields, wrong types, a policy that does not fit the exits, or a hash that
/// does not match the model's own exits and costs are errors (<see cref="ThresholdsFileException"/>).</para>
/// </remarks>
public sealed partial class ThresholdsFile
{
    /// <summary>The <c>format</c> value of a thresholds file.</summary>
    public const string FileFormat = "offramp.thresholds";

    /// <summary>The version this code writes and reads.</summary>
    public const int FileVersion = 1;

    /// <summary>Largest file read, in bytes (a thresholds file is a few KB).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Creates the file contents.</summary>
    /// <param name="model">The model the thresholds belong to.</param>
    /// <param name="policy">A <see cref="ThresholdPolicy"/> with one threshold per exit, or a <see cref="PatiencePolicy"/>.</param>
    /// <param name="budget">The budget asked for, when any.</param>
    /// <param name="budgetMacs">The budget in cost units; required with <paramref name="budget"/>.</param>
    /// <param name="calibration">How the thresholds were calibrated, when they were.</param>
    /// <exception cref="ArgumentException">The policy is of another kind (user policies cannot be stored), its
    /// thresholds do not match the exits, or the budget is given without its value in cost units.</exception>
    public ThresholdsFile(
        ModelIdentity model, IExitPolicy policy, Budget? budget = null, double? budgetMacs = null, ThresholdsCalibrationInfo? calibration = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy is ThresholdPolicy tp && tp.Thresholds.Count != model.ExitNames.Count)
        {
            throw new ArgumentException($"{tp.Name}: {tp.Thresholds.Count} thresholds for a model with {model.ExitNames.Count} exits", nameof(policy));
        }

        if (policy is not (ThresholdPolicy or PatiencePolicy))
        {
            throw new ArgumentException($"policy {policy.Name} ({policy.GetType().Name}) cannot be stored; only threshold and patience policies", nameof(policy));
        }

        if (budget.HasValue != budgetMacs.HasValue)
        {
            throw new ArgumentException("give the budget and its value in cost units together", nameof(budgetMacs));
        }

        Model = model;
        Policy = policy;
        Budget = budget;
        BudgetMacs = budgetMacs;
        Calibration = calibration;
    }

    /// <summary>The model the thresholds belong to.</summary>
    public ModelIdentity Model { get; }

    /// <summary>The policy (a <see cref="ThresholdPolicy"/> or a <see cref="PatiencePolicy"/>).</summary>
    public IExitPolicy Policy { get; }

    /// <summary>The budget asked for; null when the thresholds were not chosen for one.</summary>
    public Budget? Budget { get; }

    /// <summary>The budget in cost units; null without a budget.</summary>
    public double? BudgetMacs { get; }

    /// <summary>Calibration details; null when the thresholds were set by hand.</summary>
    public ThresholdsCalibrationInfo? Calibration { get; }

    /// <summary>The file for a calibrator's point, without a budget (see <see cref="FromBudget"/>).</summary>
    public static ThresholdsFile FromCalibration(CalibrationPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        return new ThresholdsFile(point.Model, point.Policy, calibration: ThresholdsCalibrationInfo.From(point));
    }

    /// <summary>The file for thresholds chosen for a budget.</summary>
    public static ThresholdsFile FromBudget(BudgetResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new ThresholdsFile(
            result.Calibration.Model, result.Calibration.Policy, result.Requested, result.BudgetMacs, ThresholdsCalibrationInfo.From(result.Calibration));
    }

    /// <summary>Throws unless the thresholds belong to <paramref name="model"/>.</summary>
    /// <exception cref="ModelMismatchException">Name, exits or costs differ; the message lists both and each difference.</exception>
    public void EnsureMatches(ModelIdentity model, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var d = Model.Differences(model);
        if (d.Count > 0)
        {
            throw new ModelMismatchException(
                $"thresholds{(source is null ? "" : $" file '{source}'")} were calibrated for model {Model}, not for {model}: {string.Join("; ", d)}. Calibrate thresholds for this model.");
        }
    }

    /// <summary>Writes the file atomically (a temporary file beside it, then a rename).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.WriteAllText(path, ToJson());
    }

    /// <summary>The file's JSON text (indented, LF line ends).</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            w.WriteStartObject();
            w.WriteString("format", FileFormat);
            w.WriteNumber("version", FileVersion);
            w.WriteStartObject("model");
            w.WriteString("name", Model.Name);
            w.WriteStartArray("exits");
            for (int k = 0; k < Model.ExitNames.Count; k++)
            {
                w.WriteStartObject();
                w.WriteString("name", Model.ExitNames[k]);
                w.WriteNumber("cost", Model.ExitCosts[k]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("hash", Model.Hash);
            w.WriteEndObject();
            WritePolicy(w);
            WriteBudget(w);
            WriteCalibration(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private void WritePolicy(Utf8JsonWriter w)
    {
        w.WriteStartObject("policy");
        w.WriteString("kind", Policy.Name);
        if (Policy is ThresholdPolicy tp)
        {
            w.WriteStartArray("thresholds");
            foreach (double t in tp.Thresholds)
            {
                WriteDouble(w, t);
            }

            w.WriteEndArray();
        }
        else if (Policy is PatiencePolicy pp)
        {
            w.WriteNumber("patience", pp.Patience);
            if (pp.Tolerance is double d)
            {
                w.WriteNumber("tolerance", d);
            }
        }

        w.WriteEndObject();
    }

    private void WriteBudget(Utf8JsonWriter w)
    {
        if (Budget is not { } b)
        {
            w.WriteNull("budget");
            return;
        }

        w.WriteStartObject("budget");
        w.WriteNumber("value", b.Value);
        w.WriteBoolean("is_fraction", b.IsFraction);
        w.WriteNumber("macs", BudgetMacs!.Value);
        w.WriteEndObject();
    }

    private void WriteCalibration(Utf8JsonWriter w)
    {
        if (Calibration is not { } c)
        {
            w.WriteNull("calibration");
            return;
        }

        w.WriteStartObject("calibration");
        w.WriteNumber("cost", c.Cost);
        w.WritePropertyName("accuracy");
        WriteDouble(w, c.Accuracy);
        w.WriteNumber("samples", c.Samples);
        w.WriteString("generator", c.Generator);
        w.WritePropertyName("p");
        WriteDouble(w, c.P ?? double.NaN);
        w.WriteStartArray("distribution");
        foreach (double q in c.Distribution)
        {
            w.WriteNumberValue(q);
        }

        w.WriteEndArray();
        w.WriteStartArray("histogram");
        foreach (int h in c.Histogram)
        {
            w.WriteNumberValue(h);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A number; ±∞ as the strings "Infinity"/"-Infinity"; NaN as null.</summary>
    private static void WriteDouble(Utf8JsonWriter w, double v)
    {
        if (double.IsNaN(v))
        {
            w.WriteNullValue();
        }
        else if (double.IsInfinity(v))
        {
            w.WriteStringValue(v > 0 ? "Infinity" : "-Infinity");
        }
        else
        {
            w.WriteNumberValue(v);
        }
    }
}
