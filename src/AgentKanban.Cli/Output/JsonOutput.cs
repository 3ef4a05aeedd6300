using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace AgentKanban.Cli.Output;

/// <summary>Pretty-printed JSON in exactly the wire shape (snake_case, source-generated, no reflection).</summary>
public static class JsonOutput
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        // Times like "+00:00" and URLs stay readable instead of "\u002B00:00".
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteOne<T>(TextWriter writer, T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            JsonSerializer.Serialize(json, value, typeInfo);
        }

        WriteUtf8(writer, buffer);
    }

    /// <summary>A JSON array of the items (always an array, even with one or none).</summary>
    public static void WriteMany<T>(TextWriter writer, IEnumerable<T> values, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(values);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartArray();
            foreach (var value in values)
            {
                JsonSerializer.Serialize(json, value, typeInfo);
            }

            json.WriteEndArray();
        }

        WriteUtf8(writer, buffer);
    }

    public static void WriteNode(TextWriter writer, JsonNode? node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (node is null)
            {
                json.WriteNullValue();
            }
            else
            {
                node.WriteTo(json);
            }
        }

        WriteUtf8(writer, buffer);
    }

    private static void WriteUtf8(TextWriter writer, MemoryStream buffer)
    {
        writer.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        writer.WriteLine();
    }
}
