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

    /// <summary>
    /// What reading a line can throw besides <see cref="JsonException"/>: <see cref="InvalidOperationException"/> when a
    /// string cannot be transcoded (invalid UTF-8) or a token is not what it claims, <see cref="ArgumentException"/> for
    /// out-of-range numbers (a nonsense epoch, say) while building an event. Each makes the line malformed, never fatal.
    /// </summary>
    public static bool IsMalformedLine(Exception exception) =>
        exception is JsonException or InvalidOperationException or ArgumentException;

    /// <summary>A reader positioned on the value of the line's top-level <c>type</c>; false when the line has none.</summary>
    public static bool TrySeekType(ReadOnlySpan<byte> line, out Utf8JsonReader reader)
    {
        reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>The line's <c>type</c> as written, for the report of a type this build does not know (the only place a skipped line allocates).</summary>
    public static string? TypeName(ReadOnlySpan<byte> line)
    {
        if (!TrySeekType(line, out var reader))
        {
            return null;
        }

        return reader.TokenType == JsonTokenType.String ? reader.GetString() : reader.TokenType.ToString();
    }
}
