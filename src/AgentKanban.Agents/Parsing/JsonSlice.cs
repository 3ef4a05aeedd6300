using System.Text;
using System.Text.Json;

namespace AgentKanban.Agents.Parsing;

/// <summary>
/// Where a JSON string value sits in a line, remembered while scanning so it can be turned into a
/// .NET string later — only if it is actually emitted. Lets parsers read properties in any order
/// without materialising strings they end up not needing.
/// </summary>
internal readonly struct JsonStringSlice
{
    private readonly int _start;
    private readonly int _length;
    private readonly bool _escaped;

    private JsonStringSlice(int start, int length, bool escaped)
    {
        _start = start;
        _length = length;
        _escaped = escaped;
        HasValue = true;
    }

    public bool HasValue { get; }

    /// <summary>Captures the current token if it is a string; null and other kinds read as absent.</summary>
    public static JsonStringSlice Capture(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String
            ? new JsonStringSlice((int)reader.TokenStartIndex, reader.ValueSpan.Length, reader.ValueIsEscaped)
            : default;

    /// <summary>The value's bytes when they need no unescaping (for matching against known names).</summary>
    public bool TryGetRaw(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> raw)
    {
        raw = HasValue && !_escaped ? line.Slice(_start + 1, _length) : default;
        return HasValue && !_escaped;
    }

    public string? ToStringOrNull(ReadOnlySpan<byte> line) => HasValue ? Materialise(line) : null;

    public string Materialise(ReadOnlySpan<byte> line)
    {
        if (!HasValue)
        {
            return string.Empty;
        }

        if (!_escaped)
        {
            return _length == 0 ? string.Empty : Encoding.UTF8.GetString(line.Slice(_start + 1, _length));
        }

        // Re-read just the quoted token: the reader's own unescaping is the fast, correct one.
        var reader = new Utf8JsonReader(line.Slice(_start, _length + 2));
        reader.Read();
        return reader.GetString() ?? string.Empty;
    }
}

/// <summary>Where a whole JSON value (object, array, number, …) sits in a line.</summary>
internal readonly struct JsonValueSlice
{
    private readonly int _start;
    private readonly int _end;

    private JsonValueSlice(int start, int end)
    {
        _start = start;
        _end = end;
        HasValue = true;
    }

    public bool HasValue { get; }

    /// <summary>Captures the value at the reader's current token and leaves the reader on its last token.</summary>
    public static JsonValueSlice CaptureAndSkip(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new JsonValueSlice(start, (int)reader.BytesConsumed);
    }

    public ReadOnlySpan<byte> Span(ReadOnlySpan<byte> line) => HasValue ? line[_start.._end] : default;

    public string Materialise(ReadOnlySpan<byte> line) => HasValue ? Encoding.UTF8.GetString(line[_start.._end]) : "{}";
}
