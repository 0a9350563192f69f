using System.Text.Json.Serialization;

namespace Offramp.Inference;

/// <summary>Source-generated JSON for the exit-name list stored in an exit-logits file's metadata.</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class ExitNamesJson : JsonSerializerContext
{
}
