using System.Buffers;
using System.Text.Json;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// The client's side of the Agent Client Protocol: JSON-RPC 2.0 messages, one per line (UTF-8, ending in a newline),
/// written with <see cref="Utf8JsonWriter"/> (no reflection, trim-safe).
/// </summary>
public static class AcpMessages
{
    /// <summary>The ACP version this client speaks.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>
    /// <c>initialize</c>: no file system and no terminal offered, so the agent reads, writes and runs commands with its
    /// own tools inside the working directory (the daemon's sandbox confines them).
    /// </summary>
    public static byte[] Initialize(long id) => Request(id, "initialize", w =>
    {
        w.WriteNumber("protocolVersion", ProtocolVersion);
        w.WriteStartObject("clientCapabilities");
        w.WriteStartObject("fs");
        w.WriteBoolean("readTextFile", false);
        w.WriteBoolean("writeTextFile", false);
        w.WriteEndObject();
        w.WriteBoolean("terminal", false);
        w.WriteEndObject();
        w.WriteStartObject("clientInfo");
        w.WriteString("name", "agent-kanban");
        w.WriteString("version", "1");
        w.WriteEndObject();
    });

    /// <summary><c>authenticate</c> with one of the methods the agent listed.</summary>
    public static byte[] Authenticate(long id, string methodId) => Request(id, "authenticate", w => w.WriteString("methodId", methodId));

    /// <summary><c>session/new</c> in <paramref name="cwd"/>, without MCP servers.</summary>
    public static byte[] NewSession(long id, string cwd) => Request(id, "session/new", w => SessionPlace(w, cwd));

    /// <summary><c>session/resume</c> (no history replay) or <c>session/load</c> (history replayed as updates) of a conversation.</summary>
    public static byte[] OpenSession(long id, string method, string sessionId, string cwd) => Request(id, method, w =>
    {
        w.WriteString("sessionId", sessionId);
        SessionPlace(w, cwd);
    });

    /// <summary><c>session/close</c>: the agent ends the session and frees what it holds for it.</summary>
    public static byte[] CloseSession(long id, string sessionId) => Request(id, "session/close", w => w.WriteString("sessionId", sessionId));

    /// <summary><c>session/prompt</c> with one text block.</summary>
    public static byte[] Prompt(long id, string sessionId, string text) => Request(id, "session/prompt", w =>
    {
        w.WriteString("sessionId", sessionId);
        w.WriteStartArray("prompt");
        w.WriteStartObject();
        w.WriteString("type", "text");
        w.WriteString("text", text);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    /// <summary>The answer to <c>session/request_permission</c>: the option <paramref name="optionId"/>, or cancelled when null.</summary>
    public static byte[] PermissionAnswer(ReadOnlySpan<byte> rawId, string? optionId) => Response(rawId, w =>
    {
        w.WriteStartObject("outcome");
        if (optionId is null)
        {
            w.WriteString("outcome", "cancelled");
        }
        else
        {
            w.WriteString("outcome", "selected");
            w.WriteString("optionId", optionId);
        }

        w.WriteEndObject();
    });

    /// <summary>A JSON-RPC error answer to an agent's request (<c>-32601</c>: a method this client does not offer).</summary>
    public static byte[] ErrorAnswer(ReadOnlySpan<byte> rawId, int code, string message)
    {
        var id = rawId.ToArray();
        return Write(w =>
        {
        w.WriteString("jsonrpc", "2.0");
        w.WritePropertyName("id");
        w.WriteRawValue(id, skipInputValidation: true);
        w.WriteStartObject("error");
        w.WriteNumber("code", code);
        w.WriteString("message", message);
        w.WriteEndObject();
        });
    }

    private static void SessionPlace(Utf8JsonWriter w, string cwd)
    {
        w.WriteString("cwd", cwd);
        w.WriteStartArray("mcpServers");
        w.WriteEndArray();
    }

    private static byte[] Request(long id, string method, Action<Utf8JsonWriter> writeParams) => Write(w =>
    {
        w.WriteString("jsonrpc", "2.0");
        w.WriteNumber("id", id);
        w.WriteString("method", method);
        w.WriteStartObject("params");
        writeParams(w);
        w.WriteEndObject();
    });

    private static byte[] Response(ReadOnlySpan<byte> rawId, Action<Utf8JsonWriter> writeResult)
    {
        // The id goes back exactly as the agent wrote it (a number or a string).
        var id = rawId.ToArray();
        return Write(w =>
        {
            w.WriteString("jsonrpc", "2.0");
            w.WritePropertyName("id");
            w.WriteRawValue(id, skipInputValidation: true);
            w.WriteStartObject("result");
            writeResult(w);
            w.WriteEndObject();
        });
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
