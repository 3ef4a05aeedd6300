using System.Text.Json;

namespace AgentKanban.Agents.Parsing;

/// <summary>
/// The small <see cref="Utf8JsonReader"/> steps every runtime's line parser takes: one JSON object per line, read
/// property by property without making strings unless an event needs them.
/// </summary>
internal static class JsonLines
{
    /// <summary>How deep a line may nest (tool inputs can be deep; deeper lines are reported as malformed).</summary>
    public static JsonReaderOptions ReaderOptions { get; } = new() { MaxDepth = 256 };

    /// <summary>Moves to the next property name; false at the end of the object.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader) =>
        reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    /// <summary>From a property name: moves to its value and remembers it if it is a string.</summary>
    public static JsonStringSlice ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        var slice = JsonStringSlice.Capture(ref reader);
        reader.Skip();
        return slice;
    }

    /// <summary>The line must hold exactly one object: anything after it makes the line malformed.</summary>
    public static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.CurrentDepth != 0 || reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("The line's object is not closed.");
        }

        if (reader.Read())
        {
            throw new JsonException("Unexpected data after the line's object.");
        }
    }

    /// <summary>The line's <c>type</c> as written, for the report of a type this build does not know (the only place a skipped line allocates).</summary>
    public static string? TypeName(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : reader.TokenType.ToString();
            }

            reader.Skip();
        }

        return null;
    }
}
