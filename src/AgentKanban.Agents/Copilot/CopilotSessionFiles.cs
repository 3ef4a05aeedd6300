using System.Buffers;
using System.Text.Json;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Copilot;

/// <summary>
/// The Copilot CLI's own files: its home (<c>COPILOT_HOME</c>, else <c>~/.copilot</c>) keeps each session under
/// <c>session-state/ID/</c>, whose <c>events.jsonl</c> is the session's durable log. Each model call there is one
/// <c>session.usage_record</c> line with that call's tokens, so the sum over the file is the session's total, and it
/// survives the process however the process ends.
/// </summary>
public static class CopilotSessionFiles
{
    /// <summary>The CLI's home for an agent with <paramref name="environment"/>, or null without COPILOT_HOME or HOME.</summary>
    public static string? Home(IReadOnlyDictionary<string, string?> environment) =>
        RuntimeCredentials.Get(environment, "COPILOT_HOME") ?? RuntimeCredentials.InHome(environment, ".copilot");

    /// <summary>Where the CLI keeps the session <paramref name="sessionId"/>.</summary>
    public static string SessionDirectory(string home, string sessionId) => Path.Combine(home, "session-state", sessionId);

    /// <summary>The session's event log.</summary>
    public static string EventsFile(string home, string sessionId) => Path.Combine(SessionDirectory(home, sessionId), "events.jsonl");

    /// <summary>
    /// The session's tokens so far: the sum of its <c>session.usage_record</c> lines (zero when the file does not exist).
    /// Copilot's <c>inputTokens</c> includes the cached part (it passes on the provider's prompt count), so the cache
    /// reads are taken out of it here: <see cref="TokenUsage"/> counts them apart.
    /// </summary>
    public static TokenUsage ReadUsage(string eventsFile)
    {
        ArgumentNullException.ThrowIfNull(eventsFile);
        try
        {
            using var stream = new FileStream(eventsFile, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.SequentialScan,
            });
            return SumUsage(stream);
        }
        catch (FileNotFoundException)
        {
            return TokenUsage.Zero;
        }
        catch (DirectoryNotFoundException)
        {
            return TokenUsage.Zero;
        }
    }

    /// <summary>Sums the usage records of an event log read from <paramref name="stream"/>.</summary>
    public static TokenUsage SumUsage(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var total = TokenUsage.Zero;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    // A line longer than the buffer (a long tool output): grow it; the log is read once per run.
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = stream.Read(buffer, filled, buffer.Length - filled);
                var end = filled + read;
                var span = buffer.AsSpan(0, end);
                var consumed = 0;
                int newline;
                while ((newline = span[consumed..].IndexOf((byte)'\n')) >= 0)
                {
                    total += LineUsage(span.Slice(consumed, newline));
                    consumed += newline + 1;
                }

                if (read == 0)
                {
                    // The last line, if the file does not end with a newline (a run killed mid-write leaves half a line: no usage).
                    total += LineUsage(span[consumed..]);
                    return total;
                }

                span[consumed..].CopyTo(buffer);
                filled = end - consumed;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One event's tokens: non-zero only for a well-formed <c>session.usage_record</c>.</summary>
    public static TokenUsage LineUsage(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf("\"session.usage_record\""u8) < 0)
        {
            return TokenUsage.Zero;
        }

        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return TokenUsage.Zero;
            }

            var isRecord = false;
            var usage = TokenUsage.Zero;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    isRecord = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("session.usage_record"u8);
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    usage = ReadData(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return isRecord ? usage : TokenUsage.Zero;
        }
        catch (JsonException)
        {
            return TokenUsage.Zero;
        }
        catch (InvalidOperationException)
        {
            return TokenUsage.Zero;
        }
    }

    /// <summary>The tokens of <paramref name="after"/> not yet in <paramref name="before"/> (never negative).</summary>
    public static TokenUsage Delta(TokenUsage before, TokenUsage after) => new(
        Math.Max(0, after.InputTokens - before.InputTokens),
        Math.Max(0, after.OutputTokens - before.OutputTokens),
        Math.Max(0, after.CacheReadTokens - before.CacheReadTokens),
        Math.Max(0, after.CacheCreationTokens - before.CacheCreationTokens));

    private static TokenUsage ReadData(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return TokenUsage.Zero;
        }

        var usage = TokenUsage.Zero;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            long input = 0, output = 0, cacheRead = 0, cacheWrite = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                ref var target = ref input;
                if (reader.ValueTextEquals("inputTokens"u8))
                {
                    target = ref input;
                }
                else if (reader.ValueTextEquals("outputTokens"u8))
                {
                    target = ref output;
                }
                else if (reader.ValueTextEquals("cacheReadTokens"u8))
                {
                    target = ref cacheRead;
                }
                else if (reader.ValueTextEquals("cacheWriteTokens"u8))
                {
                    target = ref cacheWrite;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value > 0)
                {
                    target = value;
                }
            }

            usage = new TokenUsage(Math.Max(0, input - cacheRead), output, cacheRead, cacheWrite);
        }

        return usage;
    }
}
