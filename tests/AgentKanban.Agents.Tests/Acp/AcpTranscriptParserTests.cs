using System.Text;
using AgentKanban.Agents.Acp;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Acp;

/// <summary>A recorded ACP stdout read as a plain line parser (as the benchmark does), repeated.</summary>
public sealed class AcpTranscriptParserTests
{
    [Fact]
    public void A_recorded_run_read_twice_gives_its_events_twice()
    {
        var parser = new AcpTranscriptParser();
        var events = new List<AgentEvent>();
        var skipped = 0;
        foreach (var line in (AcpRecorded.MultiStepRun + "\n" + AcpRecorded.MultiStepRun).Split('\n'))
        {
            skipped += parser.Parse(Encoding.UTF8.GetBytes(line), events).Outcome == LineOutcome.Skipped ? 1 : 0;
        }

        Assert.Equal(0, skipped);
        Assert.Equal(2, events.OfType<SessionInitialized>().Count());
        Assert.Equal(10, events.OfType<ToolUseBlock>().Count());
        Assert.Equal(10, events.OfType<ToolResultBlock>().Count());
        Assert.Equal(12, events.OfType<TextBlock>().Count());
        Assert.Equal([false, false], events.OfType<TurnEnded>().Select(t => t.IsError));
    }

    [Fact]
    public void A_refused_prompt_in_a_recording_is_reported_and_reading_goes_on()
    {
        var parser = new AcpTranscriptParser();
        var events = new List<AgentEvent>();
        foreach (var line in (AcpRecorded.RateLimited + "\n" + AcpRecorded.ToolCallRun).Split('\n'))
        {
            parser.Parse(Encoding.UTF8.GetBytes(line), events);
        }

        Assert.True(Assert.Single(events.OfType<AgentError>()).IsRateLimitFallback);
        Assert.Equal([true, false], events.OfType<TurnEnded>().Select(t => t.IsError));
        Assert.Single(events.OfType<ToolUseBlock>());
    }
}
