using System.Text;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Codex;

/// <summary>Feeds recorded text through the Codex parser and the session-file reader.</summary>
internal static class CodexLines
{
    public static (List<AgentEvent> Events, List<LineParseResult> Results) Parse(CodexJsonParser parser, string text)
    {
        var events = new List<AgentEvent>();
        var results = new List<LineParseResult>();
        foreach (var line in text.Split('\n'))
        {
            results.Add(parser.Parse(Encoding.UTF8.GetBytes(line), events));
        }

        return (events, results);
    }

    public static CodexRolloutSummary Summary(string sessionLines) => CodexRollout.Summarize(Encoding.UTF8.GetBytes(sessionLines + "\n"));

    /// <summary>What <see cref="CodexJsonParser.Complete"/> adds at the end of a run.</summary>
    public static List<AgentEvent> Complete(CodexJsonParser parser, CodexRolloutSummary? sessionFile, string? stderr = null)
    {
        var events = new List<AgentEvent>();
        parser.Complete(sessionFile, stderr, events);
        return events;
    }
}
