using System.Text.Json.Nodes;

namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>Reading <c>-o json</c> output in assertions.</summary>
public static class Json
{
    public static JsonObject Object(CliResult result)
    {
        var node = JsonNode.Parse(result.Out);
        return Assert.IsType<JsonObject>(node);
    }

    public static JsonArray Array(CliResult result)
    {
        var node = JsonNode.Parse(result.Out);
        return Assert.IsType<JsonArray>(node);
    }

    public static string Id(CliResult result) => (string)Object(result)["id"]!;

    public static string? Str(this JsonNode node, string name) => (string?)node[name];

    public static IReadOnlyList<string?> Strings(this JsonNode node, string name) => [.. node[name]!.AsArray().Select(n => (string?)n)];

    /// <summary>A short random suffix so tests sharing a server never collide on names.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
