using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Daemon.Relay;

namespace AgentKanban.Daemon.Tests.Relay;

/// <summary>The agent event model in its relayed wire shape, and the size limits on big payloads.</summary>
public sealed class AgentEventMapperTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 18, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_kind_maps_to_its_wire_shape()
    {
        Assert.Equal("{}", Data(TurnStarted.Instance, AgentEventKinds.TurnStarted));
        Assert.Equal("""{"text":"hi"}""", Data(new TextBlock("hi"), AgentEventKinds.Text));
        Assert.Equal("""{"text":"hmm"}""", Data(new ThinkingBlock("hmm"), AgentEventKinds.Thinking));
        Assert.Equal("""{"id":"tu_1","name":"Bash","input":{"command":"ls"}}""", Data(new ToolUseBlock("tu_1", "Bash", """{"command":"ls"}"""), AgentEventKinds.ToolUse));
        Assert.Equal("""{"tool_use_id":"tu_1","content":"out","is_error":true,"truncated":false}""", Data(new ToolResultBlock("tu_1", "out", true), AgentEventKinds.ToolResult));
        Assert.Equal("""{"input_tokens":1,"output_tokens":2,"cache_read_tokens":3,"cache_creation_tokens":4,"cost_usd":0.5}""",
            Data(new TurnEnded(false, new TokenUsage(1, 2, 3, 4), 0.5m, "r", "success", null, 1, 10), AgentEventKinds.TurnEnded));
        Assert.Equal("""{"status":"rejected","resets_at":"2026-11-27T19:00:00+00:00","rate_limit_type":"five_hour","overage_status":"allowed_warning","overage_resets_at":null}""",
            Data(new RateLimitEvent(RateLimitStatus.Rejected, At.AddHours(1), "five_hour", false, RateLimitStatus.AllowedWarning, null, null), AgentEventKinds.RateLimit));
        Assert.Equal("""{"code":"server_error","detail":"boom"}""", Data(new AgentError("server_error", "boom", false), AgentEventKinds.Error));
        Assert.Null(AgentEventMapper.Map(new SessionInitialized("s", null, null), At));
    }

    [Fact]
    public void Big_tool_results_and_inputs_are_cut_and_flagged()
    {
        var output = new string('x', AgentEventMapper.MaxContentChars + 10);
        var result = AgentEventMapper.Map(new ToolResultBlock("tu", output, false), At)!.Value.Event.Data!.Value;
        Assert.True(result.GetProperty("truncated").GetBoolean());
        Assert.Equal(AgentEventMapper.MaxContentChars, result.GetProperty("content").GetString()!.Length);

        var input = "{\"content\":\"" + new string('y', AgentEventMapper.MaxContentChars) + "\"}";
        var tool = AgentEventMapper.Map(new ToolUseBlock("tu", "Write", input), At)!.Value.Event.Data!.Value.GetProperty("input");
        Assert.True(tool.GetProperty("truncated").GetBoolean());
        Assert.StartsWith("{\"content\":\"yyy", tool.GetProperty("preview").GetString(), StringComparison.Ordinal);

        // A surrogate pair straddling the limit is not split (the server refuses invalid Unicode).
        var emoji = new string('z', AgentEventMapper.MaxTextChars - 1) + "😀";
        var text = AgentEventMapper.Map(new TextBlock(emoji), At)!.Value.Event.Data!.Value.GetProperty("text").GetString()!;
        Assert.Equal(AgentEventMapper.MaxTextChars - 1, text.Length);

        var unparsable = AgentEventMapper.Map(new ToolUseBlock("tu", "Odd", "not json"), At)!.Value.Event.Data!.Value.GetProperty("input");
        Assert.Equal("not json", unparsable.GetString());
    }

    private static string Data(AgentEvent agentEvent, string kind)
    {
        var mapped = AgentEventMapper.Map(agentEvent, At)!.Value.Event;
        Assert.Equal(kind, mapped.Kind);
        Assert.Equal(At, mapped.At);
        return mapped.Data!.Value.GetRawText();
    }
}
