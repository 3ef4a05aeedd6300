using System.Globalization;
using System.Text.Json;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Codex;

/// <summary>What a thread's session file says about the lines read: the thread's token total, the usage windows and how the last task ended.</summary>
/// <param name="TotalUsage">The thread's running total at the last <c>token_count</c> with usage (null: none in the part read).</param>
/// <param name="Windows">The usage windows of the last <c>token_count</c> that named any (empty: none).</param>
/// <param name="ErrorInfo">The last <c>task_complete</c>'s <c>error.codex_error_info</c> (e.g. <c>usage_limit_exceeded</c>); null when it ended without one.</param>
/// <param name="Length">The file's length when read: where the next run's lines begin.</param>
public sealed record CodexRolloutSummary(CodexUsage? TotalUsage, IReadOnlyList<UsageWindow> Windows, string? ErrorInfo, long Length)
{
    public static CodexRolloutSummary Empty { get; } = new(null, [], null, 0);
}

/// <summary>
/// Codex's own record of a thread, <c>$CODEX_HOME/sessions/YYYY/MM/DD/rollout-TIME-THREAD_ID.jsonl</c> (one JSON object a
/// line, appended as the thread goes). Two facts are only there, not on stdout: the reset times of the usage windows
/// (<c>event_msg</c>/<c>token_count</c> with <c>rate_limits.primary|secondary</c>) and why a task failed
/// (<c>event_msg</c>/<c>task_complete</c> with <c>error.codex_error_info</c>). The token total read at launch is what
/// earlier runs of the thread used, so a resumed run's running totals can be turned into its own.
/// </summary>
public static class CodexRollout
{
    /// <summary>At most this much of the end of a file is read: the facts wanted are the latest ones.</summary>
    private const int MaxReadBytes = 32 * 1024 * 1024;

    /// <summary><c>$CODEX_HOME</c>, else <c>$HOME/.codex</c>; null without either.</summary>
    public static string? CodexHome(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.TryGetValue("CODEX_HOME", out var home) && !string.IsNullOrWhiteSpace(home)
            ? home
            : environment.TryGetValue("HOME", out var user) && !string.IsNullOrWhiteSpace(user) ? Path.Combine(user, ".codex") : null;
    }

    /// <summary>
    /// The session file of <paramref name="threadId"/>, or null. Looks first in the day folders around the thread's
    /// creation (a UUIDv7 carries it) and around <paramref name="now"/>, then through the whole tree.
    /// </summary>
    public static string? Find(string codexHome, string threadId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(codexHome);
        // Only real ids reach the file system: the id becomes part of a search pattern.
        if (!Guid.TryParse(threadId, out _))
        {
            return null;
        }

        var sessions = Path.Combine(codexHome, "sessions");
        if (!Directory.Exists(sessions))
        {
            return null;
        }

        var pattern = $"rollout-*-{threadId}.jsonl";
        try
        {
            foreach (var day in CandidateDays(threadId, now))
            {
                var folder = Path.Combine(sessions, day.ToString("yyyy", CultureInfo.InvariantCulture),
                    day.ToString("MM", CultureInfo.InvariantCulture), day.ToString("dd", CultureInfo.InvariantCulture));
                if (Directory.Exists(folder) && Directory.EnumerateFiles(folder, pattern).FirstOrDefault() is { } hit)
                {
                    return hit;
                }
            }

            return Directory.EnumerateFiles(sessions, pattern, SearchOption.AllDirectories).FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The creation time a version-7 UUID carries (its first 48 bits, in Unix milliseconds), else null.</summary>
    public static DateTimeOffset? UuidV7Time(string id)
    {
        if (!Guid.TryParse(id, out var guid))
        {
            return null;
        }

        var text = guid.ToString("N");
        if (text[12] != '7' || !long.TryParse(text.AsSpan(0, 12), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var ms))
        {
            return null;
        }

        return ms <= 253_402_300_799_000 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>Reads the file from <paramref name="offset"/> (a length taken earlier; the whole file when it shrank since).</summary>
    public static CodexRolloutSummary Read(string path, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            var start = offset <= length ? offset : 0;
            start = Math.Max(start, length - MaxReadBytes);
            var buffer = new byte[length - start];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), start + read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return Summarize(buffer.AsSpan(0, read)) with { Length = start + read };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CodexRolloutSummary.Empty;
        }
    }

    /// <summary>The facts in a run of session-file lines; lines that are not what they claim are passed over.</summary>
    public static CodexRolloutSummary Summarize(ReadOnlySpan<byte> lines)
    {
        CodexUsage? total = null;
        IReadOnlyList<UsageWindow> windows = [];
        string? errorInfo = null;
        while (!lines.IsEmpty)
        {
            var end = lines.IndexOf((byte)'\n');
            var line = end < 0 ? lines : lines[..end];
            lines = end < 0 ? default : lines[(end + 1)..];
            // Most lines are conversation items: only the two event kinds wanted are parsed at all.
            var tokenCount = line.IndexOf("\"token_count\""u8) >= 0;
            if (!tokenCount && line.IndexOf("\"task_complete\""u8) < 0)
            {
                continue;
            }

            try
            {
                ReadEvent(line, ref total, ref windows, ref errorInfo);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
            {
                // A torn last line (the CLI was still writing) or a line of another shape: not a fact.
            }
        }

        return new CodexRolloutSummary(total, windows, errorInfo, 0);
    }

    private static IEnumerable<DateTime> CandidateDays(string threadId, DateTimeOffset now)
    {
        var seen = new HashSet<DateTime>();
        foreach (var instant in new[] { UuidV7Time(threadId), now })
        {
            if (instant is not { } at)
            {
                continue;
            }

            // The folder is named after the CLI's local date; a day either side covers any time zone.
            foreach (var day in new[] { at.ToLocalTime().Date, at.UtcDateTime.Date, at.UtcDateTime.Date.AddDays(-1), at.UtcDateTime.Date.AddDays(1) })
            {
                if (seen.Add(day))
                {
                    yield return day;
                }
            }
        }
    }

    private static void ReadEvent(ReadOnlySpan<byte> line, ref CodexUsage? total, ref IReadOnlyList<UsageWindow> windows, ref string? errorInfo)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        var isEvent = false;
        JsonPayload payload = default;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                isEvent = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("event_msg"u8);
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                payload = ReadPayload(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!isEvent)
        {
            return;
        }

        switch (payload.Kind)
        {
            case PayloadKind.TokenCount:
                total = payload.Total ?? total;
                if (payload.Windows is { Count: > 0 } named)
                {
                    windows = named;
                }

                break;
            case PayloadKind.TaskComplete:
                errorInfo = payload.ErrorInfo;
                break;
        }
    }

    private enum PayloadKind
    {
        Other,
        TokenCount,
        TaskComplete,
    }

    private record struct JsonPayload(PayloadKind Kind, CodexUsage? Total, List<UsageWindow>? Windows, string? ErrorInfo);

    private static JsonPayload ReadPayload(ref Utf8JsonReader reader)
    {
        var payload = default(JsonPayload);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return payload;
        }

        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                payload.Kind = reader.TokenType != JsonTokenType.String ? PayloadKind.Other
                    : reader.ValueTextEquals("token_count"u8) ? PayloadKind.TokenCount
                    : reader.ValueTextEquals("task_complete"u8) ? PayloadKind.TaskComplete
                    : PayloadKind.Other;
            }
            else if (reader.ValueTextEquals("info"u8))
            {
                reader.Read();
                payload.Total = ReadTotal(ref reader);
            }
            else if (reader.ValueTextEquals("rate_limits"u8))
            {
                reader.Read();
                payload.Windows = ReadWindows(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                payload.ErrorInfo = ReadErrorInfo(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return payload;
    }

    private static CodexUsage? ReadTotal(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        CodexUsage? total = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("total_token_usage"u8))
            {
                reader.Read();
                total = CodexJsonParser.ReadUsage(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return total;
    }

    private static List<UsageWindow>? ReadWindows(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        List<UsageWindow>? windows = null;
        while (NextProperty(ref reader))
        {
            var name = reader.ValueTextEquals("primary"u8) ? "primary" : reader.ValueTextEquals("secondary"u8) ? "secondary" : null;
            reader.Read();
            if (name is null || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            if (ReadWindow(ref reader, name) is { } window)
            {
                (windows ??= []).Add(window);
            }
        }

        return windows;
    }

    private static UsageWindow? ReadWindow(ref Utf8JsonReader reader, string name)
    {
        double? used = null;
        int? minutes = null;
        DateTimeOffset? resetsAt = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("used_percent"u8))
            {
                reader.Read();
                used = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var u) && double.IsFinite(u) ? u : null;
            }
            else if (reader.ValueTextEquals("window_minutes"u8))
            {
                reader.Read();
                minutes = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var m) ? m : null;
            }
            else if (reader.ValueTextEquals("resets_at"u8))
            {
                reader.Read();
                resetsAt = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var s) && s is > 0 and < 253_402_300_799
                    ? DateTimeOffset.FromUnixTimeSeconds(s)
                    : null;
            }
            else
            {
                reader.Read();
            }

            reader.Skip();
        }

        return used is { } percent ? new UsageWindow(name, percent, minutes, resetsAt) : null;
    }

    private static string? ReadErrorInfo(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? info = null;
        while (NextProperty(ref reader))
        {
            var wanted = reader.ValueTextEquals("codex_error_info"u8);
            reader.Read();
            if (wanted && reader.TokenType == JsonTokenType.String)
            {
                info = reader.GetString();
            }

            reader.Skip();
        }

        return info ?? "error";
    }

    private static bool NextProperty(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;
}
