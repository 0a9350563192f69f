using System.Text.Json;
using System.Text.Json.Serialization;

namespace Offramp.Training;

/// <summary>Source-generated JSON metadata for configs, checkpoint state, logs and evaluation results (snake_case
/// keys, strict).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    Converters = [typeof(ExitWeightingJsonConverter)])]
[JsonSerializable(typeof(TrainConfig))]
[JsonSerializable(typeof(CheckpointState))]
[JsonSerializable(typeof(EpochLogEntry))]
[JsonSerializable(typeof(EvalReport))]
[JsonSerializable(typeof(EvalSummary))]
internal sealed partial class TrainJsonContext : JsonSerializerContext
{
}

/// <summary>Reads an <see cref="ExitWeighting"/> from a scheme name or comma list (a string) or an array of numbers;
/// writes the name, or the numbers as an array.</summary>
internal sealed class ExitWeightingJsonConverter : JsonConverter<ExitWeighting>
{
    public override ExitWeighting Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            try
            {
                return ExitWeighting.Parse(reader.GetString()!);
            }
            catch (FormatException e)
            {
                throw new JsonException(e.Message, e);
            }
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("exit weights are a scheme name (equal, increasing, final2) or a list of numbers");
        }

        var values = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException("exit weights in a list must all be numbers");
            }

            values.Add(reader.GetDouble());
        }

        try
        {
            return ExitWeighting.Explicit([.. values]);
        }
        catch (ArgumentException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, ExitWeighting value, JsonSerializerOptions options)
    {
        if (value.Values is { } v)
        {
            writer.WriteStartArray();
            foreach (var x in v)
            {
                writer.WriteNumberValue(x);
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteStringValue(value.Scheme);
        }
    }
}
