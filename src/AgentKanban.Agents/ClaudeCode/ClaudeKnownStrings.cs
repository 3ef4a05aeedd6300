using System.Text.Json;
using AgentKanban.Agents.Parsing;

namespace AgentKanban.Agents.ClaudeCode;

/// <summary>
/// Names that recur on every line (tool names, rate-limit windows, result subtypes) are handed out as
/// shared strings instead of being allocated again each time.
/// </summary>
internal static class ClaudeKnownStrings
{
    private static readonly string[] ToolNames =
    [
        "Bash", "Read", "Edit", "Write", "MultiEdit", "Grep", "Glob", "Task", "Agent", "TodoWrite", "WebFetch",
        "WebSearch", "NotebookEdit", "BashOutput", "KillShell", "ExitPlanMode", "SlashCommand", "AskUserQuestion",
    ];

    private static readonly byte[][] ToolNameBytes = ToolNames.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

    private static readonly string[] Subtypes = ["success", "error_max_turns", "error_during_execution", "error_max_budget_usd", "init"];

    private static readonly byte[][] SubtypeBytes = Subtypes.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

    private static readonly string[] LimitTypes = ["five_hour", "seven_day", "seven_day_opus", "seven_day_sonnet", "overage"];

    private static readonly byte[][] LimitTypeBytes = LimitTypes.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

    public static string ToolName(JsonStringSlice name, ReadOnlySpan<byte> line) =>
        Lookup(name, line, ToolNames, ToolNameBytes) ?? string.Empty;

    public static string? Intern(JsonStringSlice value, ReadOnlySpan<byte> line) => Lookup(value, line, Subtypes, SubtypeBytes);

    /// <summary>Reads the current token as a rate-limit window name and leaves the reader past it.</summary>
    public static string? RateLimitType(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        for (var i = 0; i < LimitTypeBytes.Length; i++)
        {
            if (reader.ValueTextEquals(LimitTypeBytes[i]))
            {
                return LimitTypes[i];
            }
        }

        return reader.GetString();
    }

    private static string? Lookup(JsonStringSlice value, ReadOnlySpan<byte> line, string[] names, byte[][] bytes)
    {
        if (!value.HasValue)
        {
            return null;
        }

        if (value.TryGetRaw(line, out var raw))
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                if (raw.SequenceEqual(bytes[i]))
                {
                    return names[i];
                }
            }
        }

        return value.Materialise(line);
    }
}
