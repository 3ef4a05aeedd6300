using AgentKanban.Agents.Parsing;

namespace AgentKanban.Agents.Gemini;

/// <summary>The Gemini CLI's built-in tool names, shared instead of allocated per call.</summary>
internal static class GeminiKnownStrings
{
    private static readonly string[] ToolNames =
    [
        "run_shell_command", "read_file", "write_file", "replace", "list_directory", "glob", "search_file_content",
        "grep_search", "read_many_files", "web_fetch", "google_web_search", "save_memory", "write_todos",
    ];

    public static string ToolName(JsonStringSlice name, ReadOnlySpan<byte> line)
    {
        if (name.TryGetRaw(line, out var raw))
        {
            foreach (var known in ToolNames)
            {
                if (raw.Length == known.Length && System.Text.Ascii.Equals(raw, known))
                {
                    return known;
                }
            }
        }

        return name.Materialise(line);
    }
}
