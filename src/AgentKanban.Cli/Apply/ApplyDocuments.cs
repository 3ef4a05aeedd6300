using System.Text.Json;
using System.Text.Json.Nodes;
using AgentKanban.Cli.Output;
using YamlDotNet.Core;

namespace AgentKanban.Cli.Apply;

/// <summary>Reads the documents of an <c>ak apply</c> file: YAML (one or more <c>---</c> documents) or JSON (an object or an array).</summary>
public static class ApplyDocuments
{
    public static List<JsonObject> Read(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.TrimStart();
        List<JsonNode?> nodes;
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            nodes = ReadJson(text, source);
        }
        else
        {
            try
            {
                using var reader = new StringReader(text);
                nodes = YamlJson.ReadDocuments(reader);
            }
            catch (YamlException e)
            {
                throw new CliFailureException($"{source}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
            }
        }

        var documents = new List<JsonObject>();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case JsonObject obj:
                    documents.Add(obj);
                    break;
                case JsonArray array:
                    // A JSON array of documents, or a YAML list of them.
                    foreach (var item in array)
                    {
                        documents.Add(item as JsonObject
                            ?? throw new CliFailureException($"{source}: each document must be an object with kind and spec"));
                    }

                    break;
                default:
                    throw new CliFailureException($"{source}: each document must be an object with kind and spec");
            }
        }

        return documents.Count == 0 ? throw new CliFailureException($"{source}: no documents to apply") : documents;
    }

    private static List<JsonNode?> ReadJson(string text, string source)
    {
        try
        {
            var options = new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
            return [JsonNode.Parse(text, documentOptions: options)];
        }
        catch (JsonException e)
        {
            throw new CliFailureException($"{source}: not valid JSON at line {(e.LineNumber ?? 0) + 1}: {e.Message}", e);
        }
    }
}
