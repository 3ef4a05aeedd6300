using System.Text.Json;
using System.Text.Json.Serialization;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Data;

/// <summary>Source-generated JSON for values the server stores in text columns (same shape as the wire).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(List<RuntimeStatusDto>), TypeInfoPropertyName = "RuntimeList")]
[JsonSerializable(typeof(List<UsageWindowDto>), TypeInfoPropertyName = "UsageList")]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
