using System.Text;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Support;

internal static class Transcripts
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Transcripts", name);

    /// <summary>Parses a whole transcript line by line with one parser, as the daemon does for one run.</summary>
    public static (List<AgentEvent> Events, List<LineParseResult> Results) Parse(IAgentOutputParser parser, string name) =>
        ParseLines(parser, File.ReadAllLines(PathOf(name)));

    public static (List<AgentEvent> Events, List<LineParseResult> Results) ParseLines(IAgentOutputParser parser, IEnumerable<string> lines)
    {
        var events = new List<AgentEvent>();
        var results = new List<LineParseResult>();
        foreach (var line in lines)
        {
            var before = events.Count;
            var result = parser.Parse(Encoding.UTF8.GetBytes(line), events);
            Assert.Equal(events.Count - before, result.EventCount);
            results.Add(result);
        }

        return (events, results);
    }
}
