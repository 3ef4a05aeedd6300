using System.Text.Json;
using AgentKanban.Agents.Parsing;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// One JSON-RPC 2.0 message from the agent, as slices of its line: a request (<c>id</c> and <c>method</c>), a notification
/// (<c>method</c> only) or a response (<c>id</c> with <c>result</c> or <c>error</c>). Properties are found in any order;
/// nothing is turned into a string until used.
/// </summary>
internal readonly ref struct AcpJsonRpc
{
    public static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    public ReadOnlySpan<byte> Line { get; init; }

    public JsonValueSlice Id { get; init; }

    public JsonStringSlice Method { get; init; }

    public JsonValueSlice Params { get; init; }

    public JsonValueSlice Result { get; init; }

    public JsonValueSlice Error { get; init; }

    public bool IsResponse => Id.HasValue && !Method.HasValue;

    public bool IsRequest => Id.HasValue && Method.HasValue;

    public bool IsNotification => !Id.HasValue && Method.HasValue;

    /// <summary>Reads the top level of <paramref name="line"/> (an object: checked by the caller); throws <see cref="JsonException"/> when broken.</summary>
    public static AcpJsonRpc Read(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        reader.Read();
        JsonValueSlice id = default, parameters = default, result = default, error = default;
        JsonStringSlice method = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.Null ? default : JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                method = JsonStringSlice.Capture(ref reader);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("params"u8))
            {
                reader.Read();
                parameters = JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                reader.Read();
                result = JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.TokenType == JsonTokenType.Null ? default : JsonValueSlice.CaptureAndSkip(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.BytesConsumed != line.Length)
        {
            throw new JsonException("not one complete JSON object");
        }

        return new AcpJsonRpc { Line = line, Id = id, Method = method, Params = parameters, Result = result, Error = error };
    }

    /// <summary>Whether the method is <paramref name="name"/> (methods are plain ASCII: an escaped one never matches).</summary>
    public bool MethodIs(ReadOnlySpan<byte> name) => Method.TryGetRaw(Line, out var raw) && raw.SequenceEqual(name);

    /// <summary>The numeric id of a response to one of our requests, or -1.</summary>
    public long NumericId()
    {
        var span = Id.Span(Line);
        var reader = new Utf8JsonReader(span);
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : -1;
    }

    /// <summary>A reader positioned on the start of <paramref name="slice"/>'s value.</summary>
    public Utf8JsonReader Open(JsonValueSlice slice)
    {
        var reader = new Utf8JsonReader(slice.Span(Line), ReaderOptions);
        reader.Read();
        return reader;
    }
}
