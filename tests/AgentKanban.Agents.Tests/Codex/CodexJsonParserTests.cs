using System.Text;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Parsing;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Tests.Codex;

public sealed class CodexJsonParserTests
{
    private const string Thread = "01a25137-0e50-7971-acf9-6eec39a86128";

    private static DateTimeOffset Epoch(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    [Fact]
    public void Recorded_happy_run_maps_every_item_and_reports_the_turn_tokens()
    {
        var parser = new CodexJsonParser(model: "gpt-5.5", workingDirectory: "/work/tree");
        var (events, results) = CodexLines.Parse(parser, CodexRecorded.HappyStdout);

        Assert.Equal(
            [
                new SessionInitialized(Thread, "gpt-5.5", "/work/tree"),
                TurnStarted.Instance,
                new ThinkingBlock("The task asks for hello.txt; claim it first."),
                new TextBlock("I will claim the task first."),
                new ToolUseBlock("item_3", "command_execution", """{"command":"/bin/bash -c 'ak task claim'"}"""),
                new ToolResultBlock("item_3", "fake-ak task claim\n", false),
                new ToolUseBlock("item_4", "command_execution", """{"command":"/bin/bash -c \"printf 'hello\\\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt' && echo committed\""}"""),
                new ToolResultBlock("item_4", "committed\n", false),
                new ThinkingBlock("Check the file is there."),
                new ToolUseBlock("item_6", "command_execution", """{"command":"/bin/bash -c 'cat missing.txt'"}"""),
                new ToolResultBlock("item_6", "cat: missing.txt: No such file or directory\n", true),
                new TextBlock("Requesting review."),
                new ToolUseBlock("item_8", "command_execution", """{"command":"/bin/bash -c 'ak task review'"}"""),
                new ToolResultBlock("item_8", "fake-ak task review\n", false),
                new TextBlock("Done: hello.txt is on the branch and the task is in review."),
                // 500 input of which 150 cached: 350 + 150 cache reads; output 100 already holds the 25 reasoning tokens.
                new TurnEnded(false, new TokenUsage(350, 100, 150, 0), null, Thread, "completed",
                    "Done: hello.txt is on the branch and the task is in review.", null, null),
            ],
            events);
        Assert.Equal(Thread, parser.ThreadId);

        // The model-metadata notice is not fatal: skipped, with its text for the log.
        var notice = results[1];
        Assert.Equal(LineOutcome.Skipped, notice.Outcome);
        Assert.Contains("Model metadata for `gpt-unknown-model` not found", notice.Detail, StringComparison.Ordinal);
        Assert.Empty(CodexLines.Complete(parser, CodexLines.Summary(CodexRecorded.HappySessionEvents)));
    }

    [Fact]
    public void Resumed_run_reports_only_what_it_used_beyond_the_threads_earlier_total()
    {
        var before = CodexLines.Summary(CodexRecorded.HappySessionEvents + "\n" + CodexRecorded.UsageLimitSessionEvents);
        Assert.Equal(new CodexUsage(500, 150, 0, 100, 25), before.TotalUsage);
        var parser = new CodexJsonParser(before.TotalUsage!.Value);

        var (events, _) = CodexLines.Parse(parser, CodexRecorded.ResumedStdout);

        var turn = Assert.IsType<TurnEnded>(events[^1]);
        Assert.Equal(new TokenUsage(70, 20, 30, 0), turn.Usage); // the stdout total was 600/180/120
        Assert.Equal(Thread, turn.ResumeToken);
        Assert.Equal(
            [
                new UsageWindowsReported([
                    new UsageWindow("primary", 3.0, 300, Epoch(1900018000)),
                    new UsageWindow("secondary", 41.5, 10080, Epoch(1900600000)),
                ]),
            ],
            CodexLines.Complete(parser, CodexLines.Summary(CodexRecorded.ResumedSessionEvents)),
            new UsageWindowsComparer());
    }

    [Fact]
    public void Usage_limit_is_rejected_until_the_latest_reset_of_the_windows_used_up_and_never_an_ordinary_error()
    {
        var parser = new CodexJsonParser(new CodexUsage(500, 150, 0, 100, 25));
        var (events, _) = CodexLines.Parse(parser, CodexRecorded.UsageLimitStdout);

        Assert.DoesNotContain(events, e => e is AgentError);
        var failed = Assert.IsType<TurnEnded>(events[^1]);
        Assert.True(failed.IsError);
        Assert.Equal(TokenUsage.Zero, failed.Usage);
        Assert.StartsWith("You’ve hit your usage limit.", failed.ResultText, StringComparison.Ordinal);

        var end = CodexLines.Complete(parser, CodexLines.Summary(CodexRecorded.UsageLimitSessionEvents));
        Assert.Equal(2, end.Count);
        Assert.Equal(2, Assert.IsType<UsageWindowsReported>(end[0]).Windows.Count);
        // Both windows are at 100 %: the primary resets at 1900000500, the secondary only at 1900600000 — the run can go on
        // only then.
        Assert.Equal(new RateLimitEvent(RateLimitStatus.Rejected, Epoch(1900600000), "secondary", false, null, null, 1.0), end[1]);
    }

    [Fact]
    public void Usage_limit_without_a_known_reset_is_the_rate_limit_fallback()
    {
        var parser = new CodexJsonParser();
        var (events, _) = CodexLines.Parse(parser, CodexRecorded.UsageLimitWithoutWindowsStdout);
        Assert.DoesNotContain(events, e => e is AgentError);

        var end = CodexLines.Complete(parser, CodexLines.Summary(CodexRecorded.UsageLimitWithoutWindowsSessionEvents));

        var fallback = Assert.IsType<AgentError>(Assert.Single(end));
        Assert.Equal(ProviderErrors.RateLimit, fallback.Code);
        Assert.True(fallback.IsRateLimitFallback);
        Assert.StartsWith("You’ve hit your usage limit.", fallback.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_limit_with_no_session_file_to_read_is_still_a_rate_limit()
    {
        var parser = new CodexJsonParser();
        CodexLines.Parse(parser, CodexRecorded.UsageLimitStdout);

        var fallback = Assert.IsType<AgentError>(Assert.Single(CodexLines.Complete(parser, null)));
        Assert.True(fallback.IsRateLimitFallback);
    }

    [Fact]
    public void Plain_429_given_up_by_the_cli_is_the_rate_limit_fallback()
    {
        var parser = new CodexJsonParser();
        var (events, _) = CodexLines.Parse(parser, CodexRecorded.TooManyRequestsStdout);
        Assert.DoesNotContain(events, e => e is AgentError);

        var end = CodexLines.Complete(parser, CodexRolloutSummary.Empty);

        Assert.Equal([new AgentError(ProviderErrors.RateLimit, "exceeded retry limit, last status: 429 Too Many Requests", true)], end);
    }

    [Fact]
    public void Reconnect_notices_of_a_turn_that_then_succeeds_are_not_errors()
    {
        var parser = new CodexJsonParser();
        var (events, results) = CodexLines.Parse(parser, CodexRecorded.ReconnectingStdout);

        Assert.Equal(LineOutcome.Ignored, results[2].Outcome);
        Assert.False(Assert.IsType<TurnEnded>(events[^1]).IsError);
        Assert.Empty(CodexLines.Complete(parser, CodexRolloutSummary.Empty));
    }

    [Fact]
    public void Resume_of_a_thread_the_cli_does_not_have_is_conversation_not_found()
    {
        var parser = new CodexJsonParser();

        var end = CodexLines.Complete(parser, null, CodexRecorded.UnknownThreadStderr);

        var error = Assert.IsType<AgentError>(Assert.Single(end));
        Assert.Equal(ProviderErrors.ConversationNotFound, error.Code);
        Assert.False(error.IsRateLimitFallback);
        Assert.Equal("Error: thread/resume: thread/resume failed: no rollout found for thread id 0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000 (code -32600)", error.Detail);
    }

    [Theory]
    [InlineData("unexpected status 401 Unauthorized: invalid key", null, "codex_error")]
    [InlineData("exceeded retry limit, last status: 500 Internal Server Error", null, "server_error")]
    [InlineData("Codex is overloaded", "server_overloaded", "overloaded")]
    [InlineData("stream disconnected before completion", "response_stream_disconnected", "server_error")]
    [InlineData("the context window is full", "context_window_exceeded", "context_window_exceeded")]
    public void Other_failed_turns_are_errors_the_daemon_can_classify(string message, string? errorInfo, string code)
    {
        var parser = new CodexJsonParser();
        CodexLines.Parse(parser, $$$"""
            {"type":"thread.started","thread_id":"{{{Thread}}}"}
            {"type":"turn.started"}
            {"type":"turn.failed","error":{"message":"{{{message}}}"}}
            """);

        var end = CodexLines.Complete(parser, new CodexRolloutSummary(null, [], errorInfo, 0));

        Assert.Equal([new AgentError(code, message, false)], end);
    }

    // Shapes from the CLI's exec event schema (not met against the fake: 0.169.0 offered no plan tool and no patch tool to it).
    [Fact]
    public void Other_tool_items_become_tool_uses_and_results()
    {
        var parser = new CodexJsonParser();
        var (events, results) = CodexLines.Parse(parser, """
            {"type":"turn.started"}
            {"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"/w/a.txt","kind":"add"},{"path":"/w/b.txt","kind":"update"}],"status":"completed"}}
            {"type":"item.started","item":{"id":"item_2","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"result":null,"error":null,"status":"in_progress"}}
            {"type":"item.completed","item":{"id":"item_2","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"result":{"content":[{"type":"text","text":"found"},{"type":"image","data":"AAAA"}],"structured_content":null},"error":null,"status":"completed"}}
            {"type":"item.started","item":{"id":"item_3","type":"mcp_tool_call","server":"docs","tool":"fetch","arguments":{},"result":null,"error":null,"status":"in_progress"}}
            {"type":"item.completed","item":{"id":"item_3","type":"mcp_tool_call","server":"docs","tool":"fetch","arguments":{},"result":null,"error":{"message":"no such page"},"status":"failed"}}
            {"type":"item.started","item":{"id":"item_4","type":"web_search","query":"codex \"exec\""}}
            {"type":"item.completed","item":{"id":"item_4","type":"web_search","query":"codex \"exec\""}}
            {"type":"item.started","item":{"id":"item_5","type":"todo_list","items":[{"text":"claim","completed":true},{"text":"commit","completed":false}]}}
            {"type":"item.updated","item":{"id":"item_5","type":"todo_list","items":[{"text":"claim","completed":true},{"text":"commit","completed":true}]}}
            {"type":"item.completed","item":{"id":"item_5","type":"todo_list","items":[{"text":"claim","completed":true},{"text":"commit","completed":true}]}}
            """);

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        Assert.Equal(
            [
                TurnStarted.Instance,
                new ToolUseBlock("item_1", "file_change", """{"changes":[{"path":"/w/a.txt","kind":"add"},{"path":"/w/b.txt","kind":"update"}]}"""),
                new ToolResultBlock("item_1", "add /w/a.txt\nupdate /w/b.txt", false),
                new ToolUseBlock("item_2", "mcp__docs__search", """{"q":"x"}"""),
                new ToolResultBlock("item_2", "found\n[image]", false),
                new ToolUseBlock("item_3", "mcp__docs__fetch", "{}"),
                new ToolResultBlock("item_3", "no such page", true),
                new ToolUseBlock("item_4", "web_search", """{"query":"codex \"exec\""}"""),
                new ToolResultBlock("item_4", "codex \"exec\"", false),
                new ThinkingBlock("[x] claim\n[ ] commit"),
                new ThinkingBlock("[x] claim\n[x] commit"),
            ],
            events);
    }

    public static TheoryData<string, LineOutcome, LineReason> Garbage => new()
    {
        { "", LineOutcome.Ignored, LineReason.Blank },
        { "   \r", LineOutcome.Ignored, LineReason.Blank },
        { "Reading additional input from stdin...", LineOutcome.Skipped, LineReason.NotAnObject },
        { "[1,2,3]", LineOutcome.Skipped, LineReason.NotAnObject },
        { "{", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"turn.started\"", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"turn.started\"} {\"type\":\"turn.started\"}", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"no_type\":1}", LineOutcome.Skipped, LineReason.MissingType },
        { "{\"type\":42}", LineOutcome.Skipped, LineReason.UnknownType },
        { "{\"type\":\"thread.archived\",\"thread_id\":\"x\"}", LineOutcome.Skipped, LineReason.UnknownType },
        { "{\"type\":\"thread.started\"}", LineOutcome.Skipped, LineReason.NothingToReport },
        { "{\"type\":\"item.completed\"}", LineOutcome.Skipped, LineReason.NothingToReport },
        { "{\"type\":\"item.completed\",\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"half", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":\"many\"}}", LineOutcome.Events, LineReason.None },
        { "{\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"type comes last\"},\"type\":\"item.completed\"}", LineOutcome.Events, LineReason.None },
        { new string('[', 10_000), LineOutcome.Skipped, LineReason.NotAnObject },
        { "{\"a\":" + new string('[', 1_000) + new string(']', 1_000) + ",\"type\":\"turn.started\"}", LineOutcome.Skipped, LineReason.Malformed },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Lines_it_cannot_use_are_skipped_with_a_reason_never_a_crash(string line, LineOutcome outcome, LineReason reason)
    {
        var parser = new CodexJsonParser();
        var events = new List<AgentEvent>();

        var result = parser.Parse(Encoding.UTF8.GetBytes(line), events);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(reason, result.Reason);
        if (outcome == LineOutcome.Skipped)
        {
            Assert.Empty(events);
        }
    }

    [Fact]
    public void Binary_bytes_inside_a_string_never_crash_it()
    {
        // The process reader drops lines that are not UTF-8 before they get here; should one arrive, it is text at worst.
        var parser = new CodexJsonParser();
        var events = new List<AgentEvent>();
        byte[] binary = [.. "{\"type\":\"item.completed\",\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"a"u8, 0xC3, 0x28, 0xFF, .. "\"}}"u8];

        parser.Parse(binary, events);

        Assert.StartsWith("a\uFFFD", Assert.IsType<TextBlock>(events[^1]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_line_leaves_the_turn_state_as_it_was()
    {
        var parser = new CodexJsonParser();
        var events = new List<AgentEvent>();

        // Well-formed until its last byte: the turn it would have opened stays closed.
        var result = parser.Parse("""{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"cut"}"""u8, events);

        Assert.Equal(LineOutcome.Skipped, result.Outcome);
        Assert.Empty(events);
        parser.Parse("""{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"ok"}}"""u8, events);
        Assert.Equal([TurnStarted.Instance, new TextBlock("ok")], events);
    }

    [Fact]
    public void A_huge_message_comes_through_whole()
    {
        var parser = new CodexJsonParser();
        var events = new List<AgentEvent>();
        var text = new string('x', 4 * 1024 * 1024);

        parser.Parse(Encoding.UTF8.GetBytes($$$"""{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"{{{text}}}"}}"""), events);

        Assert.Equal(text, Assert.IsType<TextBlock>(events[^1]).Text);
    }

    [Fact]
    public void A_tool_seen_only_completing_still_gets_its_use_first()
    {
        var parser = new CodexJsonParser();
        var (events, _) = CodexLines.Parse(parser, """
            {"type":"item.completed","item":{"id":"item_9","type":"command_execution","command":"ls","aggregated_output":"a\n","exit_code":0,"status":"completed"}}
            """);

        Assert.Equal([TurnStarted.Instance, new ToolUseBlock("item_9", "command_execution", """{"command":"ls"}"""), new ToolResultBlock("item_9", "a\n", false)], events);
    }

    [Fact]
    public void Reset_forgets_the_run_but_keeps_the_threads_earlier_total()
    {
        var parser = new CodexJsonParser(new CodexUsage(100, 30, 0, 20, 5));
        CodexLines.Parse(parser, CodexRecorded.TooManyRequestsStdout);
        parser.Reset();

        Assert.Null(parser.ThreadId);
        Assert.Null(parser.Failure);
        var (events, _) = CodexLines.Parse(parser, """{"type":"turn.completed","usage":{"input_tokens":200,"cached_input_tokens":60,"output_tokens":40,"reasoning_output_tokens":10}}""");
        Assert.Equal(new TokenUsage(70, 20, 30, 0), Assert.IsType<TurnEnded>(events[^1]).Usage);
    }

    /// <summary>Records holding lists compare by reference; compares the windows' contents.</summary>
    private sealed class UsageWindowsComparer : IEqualityComparer<AgentEvent>
    {
        public bool Equals(AgentEvent? x, AgentEvent? y) =>
            x is UsageWindowsReported a && y is UsageWindowsReported b ? a.Windows.SequenceEqual(b.Windows) : Equals(x, y);

        public int GetHashCode(AgentEvent obj) => 0;
    }
}
