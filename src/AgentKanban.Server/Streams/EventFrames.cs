using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Streams;

/// <summary>Formats Server-Sent Events frames: <c>id:</c>, <c>event:</c>, <c>data:</c> (one JSON line), blank line.</summary>
internal static class EventFrames
{
    /// <summary>The comment that keeps proxies and clients from timing out an idle stream.</summary>
    public static ReadOnlyMemory<byte> KeepAlive { get; } = Encoding.UTF8.GetBytes(": keep-alive\n\n");

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>
    /// Builds the frame for one stored event. The log stores the event JSON without its id (the id is only
    /// known once the row is inserted), so the id is written first and any <c>id</c> in the payload is dropped.
    /// </summary>
    public static byte[] Build(long id, string type, string payload)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(payload);
        var buffer = new ArrayBufferWriter<byte>(payload.Length + type.Length + 64);
        WriteAscii(buffer, "id: ");
        WriteAscii(buffer, id.ToString(CultureInfo.InvariantCulture));
        WriteAscii(buffer, "\nevent: ");
        WriteUtf8(buffer, SingleLine(type));
        WriteAscii(buffer, "\ndata: ");
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteData(writer, id, type, payload);
        }

        WriteAscii(buffer, "\n\n");
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The <c>reset</c> frame: the stream resumed after an id below <paramref name="prunedThrough"/>, so events its client
    /// never saw may be gone. Its id is the log's head <paramref name="headId"/>, where the stream goes on; a client
    /// reloads its picture rather than trusting the gap.
    /// </summary>
    public static byte[] Reset(long headId, long prunedThrough)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        WriteAscii(buffer, "id: ");
        WriteAscii(buffer, headId.ToString(CultureInfo.InvariantCulture));
        WriteAscii(buffer, "\nevent: ");
        WriteAscii(buffer, StreamEvents.Reset);
        WriteAscii(buffer, "\ndata: ");
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", headId);
            writer.WriteString("type", StreamEvents.Reset);
            writer.WriteNumber("pruned_through", prunedThrough);
            writer.WriteEndObject();
        }

        WriteAscii(buffer, "\n\n");
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteData(Utf8JsonWriter writer, long id, string type, string payload)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", id);
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            // A malformed payload is a server bug; the subscriber still gets the id and type rather than a dead stream.
        }

        using (document)
        {
            if (document is { RootElement.ValueKind: JsonValueKind.Object })
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!property.NameEquals("id"))
                    {
                        property.WriteTo(writer);
                    }
                }
            }
            else
            {
                writer.WriteString("type", type);
            }
        }

        writer.WriteEndObject();
    }

    // An SSE field ends at CR or LF; an event type can never be allowed to split the frame.
    private static string SingleLine(string value) =>
        value.AsSpan().IndexOfAny('\r', '\n') < 0 ? value : value.Replace('\r', ' ').Replace('\n', ' ');

    private static void WriteAscii(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        buffer.Advance(written);
    }

    private static void WriteUtf8(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        buffer.Advance(written);
    }
}
