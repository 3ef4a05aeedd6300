using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentKanban.Server.Web;

/// <summary>Source-generated JSON for the read endpoints the web board added (snake_case like the rest of the API).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(UsageTotalsDto))]
[JsonSerializable(typeof(List<ColumnTimeDto>))]
[JsonSerializable(typeof(EventCursorDto))]
internal sealed partial class WebJsonContext : JsonSerializerContext;
