using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentKanban.Cli.Config;

/// <summary>Source-generated JSON for the CLI's own shapes (config file, <c>why</c>, <c>config get</c>), snake_case like the API.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
[JsonSerializable(typeof(Output.ConfigView))]
[JsonSerializable(typeof(Output.WhyReport))]
[JsonSerializable(typeof(Output.DeletedResource))]
[JsonSerializable(typeof(List<Output.DeletedResource>))]
[JsonSerializable(typeof(Output.AppliedResource))]
[JsonSerializable(typeof(List<Output.AppliedResource>))]
[JsonSerializable(typeof(Output.UpSummary))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Pretty-printed and without needless escaping, for files and output people read.</summary>
    public static CliJsonContext Indented { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
