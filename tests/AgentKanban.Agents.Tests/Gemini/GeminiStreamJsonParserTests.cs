using System.Text;
using AgentKanban.Agents.Gemini;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Agents.Tests.Gemini;

public sealed class GeminiStreamJsonParserTests
{
    private const string SessionId = "6d0c9a55-3f0e-4b8e-9a41-2c7e5d1f8b20";

    // 2026-12-07 15:48 UTC is 07:48 PST: the next Pacific midnight is 2026-12-08 08:00 UTC.
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 15, 48, 22, TimeSpan.Zero);

    private static (List<AgentEvent> Events, List<LineParseResult> Results) Parse(string recorded, DateTimeOffset? now = null) =>
        Transcripts.ParseLines(new GeminiStreamJsonParser(new FakeTimeProvider(now ?? Now)), recorded.Split('\n'));

    [Fact]
    public void Recorded_tool_run_maps_every_line()
    {
        var (events, results) = Parse(GeminiRecordedLines.Realistic);

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        Assert.Equal(
            [
                new SessionInitialized(SessionId, "gemini-2.5-flash", null),
                TurnStarted.Instance,
                new TextBlock("I'll start by claiming the task so nobody else picks it up."),
                new ToolUseBlock("run_shell_command__run_shell_command_1796658689987_0", "run_shell_command", "{\"command\":\"echo claimed task t-42\",\"description\":\"Claim the task\"}"),
                new ToolResultBlock("run_shell_command__run_shell_command_1796658689987_0", "claimed task t-42", false),
                new TextBlock("Claimed. Now let me look at the repository layout."),
                new ToolUseBlock("run_shell_command__run_shell_command_1796658690220_0", "run_shell_command", "{\"command\":\"ls -la\"}"),
                new ToolResultBlock("run_shell_command__run_shell_command_1796658690220_0", "total 8\ndrwxr-xr-x  2 root root 4096 Dec  7 15:51 .\ndrwxr-xr-x 23 root root 4096 Dec  7 15:51 ..", false),
                new TextBlock("Let me read the README to see the conventions."),
                new ToolUseBlock("read_file__read_file_1796658690285_0", "read_file", "{\"file_path\":\"/nonexistent/README.md\"}"),
                new ToolResultBlock("read_file__read_file_1796658690285_0", "Path not in workspace: Attempted path \"/nonexistent/README.md\" resolves outside the allowed workspace directories: /tmp/gx/w3 or the project temp directory: /tmp/gx/h3/.gemini/tmp/w3", true),
                new TextBlock("The README is missing; I'll write the file the task asks for."),
                new ToolUseBlock("run_shell_command__run_shell_command_1796658690318_0", "run_shell_command", "{\"command\":\"printf 'hello\\\\n' > hello.txt && cat hello.txt\"}"),
                new ToolResultBlock("run_shell_command__run_shell_command_1796658690318_0", "hello", false),
                new TextBlock("Now I'll commit the change with a clear message."),
                new ToolUseBlock("run_shell_command__run_shell_command_1796658690394_0", "run_shell_command", "{\"command\":\"git init -q . 2>/dev/null; git add hello.txt && git -c user.name=a -c user.email=a@b commit -qm 'Add hello.txt' && git log --oneline | head -1\"}"),
                new ToolResultBlock("run_shell_command__run_shell_command_1796658690394_0", "d7f2673 Add hello.txt", false),
                new TextBlock("Committed. Requesting review."),
                new ToolUseBlock("run_shell_command__run_shell_command_1796658690514_0", "run_shell_command", "{\"command\":\"echo review requested\"}"),
                new ToolResultBlock("run_shell_command__run_shell_command_1796658690514_0", "review requested", false),
                new TextBlock("Done: hello.txt is committed and the task is in review."),
                // input 4672 = input_tokens 14400 − cached 9728: cache reads are counted apart, as for every runtime.
                new TurnEnded(false, new TokenUsage(4672, 240, 9728, 0), null, SessionId, "success", "Done: hello.txt is committed and the task is in review.", null, 627),
            ],
            events);
        // The prompt's echo and the deltas that only gather text report nothing of their own.
        Assert.Equal(LineReason.NothingToReport, results[1].Reason);
        Assert.Equal(new LineParseResult(LineOutcome.Ignored, 0, LineReason.PartialMessage, null), results[3]);
    }

    [Fact]
    public void Recorded_daily_quota_is_a_rejection_until_the_next_Pacific_midnight()
    {
        var (events, _) = Parse(GeminiRecordedLines.DailyQuota);

        Assert.Equal(
            [
                new SessionInitialized("0f3b6c2e-8a1d-4e5f-9b7c-1d2e3f4a5b61", "gemini-2.5-flash", null),
                TurnStarted.Instance,
                new RateLimitEvent(RateLimitStatus.Rejected, new DateTimeOffset(2026, 12, 8, 8, 0, 0, TimeSpan.Zero), GeminiRateLimits.Daily, false, null, null, null),
            ],
            events.Take(3));
        var end = Assert.IsType<TurnEnded>(events[^1]);
        Assert.True(end.IsError);
        Assert.Equal("0f3b6c2e-8a1d-4e5f-9b7c-1d2e3f4a5b61", end.ResumeToken);
        Assert.StartsWith("[API Error: You have exhausted your daily quota on this model.]", end.ResultText, StringComparison.Ordinal);
        Assert.Equal(4, events.Count); // no AgentError besides the rate limit: a limit is never an ordinary failure
    }

    [Fact]
    public void Recorded_retry_delay_resets_after_the_longer_of_the_delays_named()
    {
        var (events, _) = Parse(GeminiRecordedLines.RetryDelay);

        // "Please retry in 37.5s" (rounded up to 38 s) beats the RetryInfo's 37 s.
        var limit = Assert.Single(events.OfType<RateLimitEvent>());
        Assert.Equal(new RateLimitEvent(RateLimitStatus.Rejected, Now.AddSeconds(38), GeminiRateLimits.RetryDelay, false, null, null, null), limit);
        Assert.Empty(events.OfType<AgentError>());
        Assert.True(Assert.IsType<TurnEnded>(events[^1]).IsError);
    }

    [Fact]
    public void Recorded_quota_refusal_without_a_time_is_the_fallback_signal()
    {
        var (events, _) = Parse(GeminiRecordedLines.PlainQuota);

        var error = Assert.Single(events.OfType<AgentError>());
        Assert.Equal(ProviderErrors.RateLimit, error.Code);
        Assert.True(error.IsRateLimitFallback);
        Assert.Contains("Resource has been exhausted", error.Detail, StringComparison.Ordinal);
        Assert.Empty(events.OfType<RateLimitEvent>());
        Assert.True(Assert.IsType<TurnEnded>(events[^1]).IsError);
    }

    public static TheoryData<string, LineOutcome, LineReason> OddLines => new()
    {
        { "", LineOutcome.Ignored, LineReason.Blank },
        { "   \t", LineOutcome.Ignored, LineReason.Blank },
        { "Warning: 256-color support not detected.", LineOutcome.Skipped, LineReason.NotAnObject },
        { "[1,2,3]", LineOutcome.Skipped, LineReason.NotAnObject },
        { "{", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"cut", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"init\",\"session_id\":\"s\"} trailing", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"no_type\":1}", LineOutcome.Skipped, LineReason.MissingType },
        { "{\"type\":\"telemetry\",\"x\":1}", LineOutcome.Skipped, LineReason.UnknownType },
        { "{\"type\":42}", LineOutcome.Skipped, LineReason.UnknownType },
        { "{\"session_id\":\"s\",\"type\":\"init\"}", LineOutcome.Events, LineReason.None },
        { "{\"type\":\"message\",\"role\":\"user\",\"content\":\"the prompt\"}", LineOutcome.Ignored, LineReason.NothingToReport },
        { "{\"type\":\"error\",\"severity\":\"warning\",\"message\":\"Loop detected, stopping execution\"}", LineOutcome.Ignored, LineReason.NothingToReport },
        { "{\"type\":\"init\"}", LineOutcome.Ignored, LineReason.NothingToReport },
    };

    [Theory]
    [MemberData(nameof(OddLines))]
    public void Odd_lines_are_ignored_or_skipped_never_fatal(string line, LineOutcome outcome, LineReason reason)
    {
        var parser = new GeminiStreamJsonParser(new FakeTimeProvider(Now));
        var events = new List<AgentEvent>();

        var result = parser.Parse(Encoding.UTF8.GetBytes(line), events);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(result.EventCount, events.Count);
    }

    [Fact]
    public void Binary_huge_and_deep_lines_are_skipped_and_the_text_around_them_survives()
    {
        var parser = new GeminiStreamJsonParser(new FakeTimeProvider(Now));
        var events = new List<AgentEvent>();
        var huge = "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"" + new string('x', 4 * 1024 * 1024) + "\",\"delta\":true";
        byte[][] lines =
        [
            "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"Hel\",\"delta\":true}"u8.ToArray(),
            [0xff, 0xfe, 0x00, 0x7b, 0x22, 0x80],
            [.. "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\""u8, 0xc3, 0x28, .. "\",\"delta\":true}"u8],
            Encoding.UTF8.GetBytes(huge),
            Encoding.UTF8.GetBytes("{\"type\":\"tool_use\",\"parameters\":" + new string('[', 10_000) + new string(']', 10_000) + "}"),
            "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"lo \\u00e9\\n\",\"delta\":true}"u8.ToArray(),
            "{\"type\":\"result\",\"status\":\"success\",\"stats\":{\"input_tokens\":10,\"output_tokens\":2,\"cached\":4}}"u8.ToArray(),
        ];

        var results = lines.Select(line => parser.Parse(line, events)).ToList();

        Assert.Equal(LineOutcome.Skipped, results[1].Outcome);
        Assert.Equal(LineOutcome.Skipped, results[3].Outcome);
        Assert.Equal(LineOutcome.Skipped, results[4].Outcome);
        var texts = events.OfType<TextBlock>().Select(t => t.Text).ToList();
        // The skipped lines left nothing behind (the huge one was gathered, then taken back); a stray invalid byte
        // inside a delta (the process reader drops such lines before they get here) decodes as U+FFFD.
        Assert.Equal(["Hel\uFFFD(lo é\n"], texts);
        // Without "input", the input count is input_tokens less the cached part.
        Assert.Equal(new TokenUsage(6, 2, 4, 0), Assert.IsType<TurnEnded>(events[^1]).Usage);
    }

    [Fact]
    public void A_whole_message_ends_the_gathered_text_and_stands_as_its_own_block()
    {
        var (events, _) = Transcripts.ParseLines(new GeminiStreamJsonParser(new FakeTimeProvider(Now)),
        [
            """{"type":"message","role":"assistant","content":"part one, ","delta":true}""",
            """{"type":"message","role":"assistant","content":"part two."}""",
            """{"type":"message","role":"assistant","content":"tail","delta":true}""",
            """{"type":"result","status":"success","stats":{"input_tokens":1,"output_tokens":1,"cached":0,"input":1}}""",
        ]);

        Assert.Equal(
            [
                TurnStarted.Instance,
                new TextBlock("part one, "),
                new TextBlock("part two."),
                new TextBlock("tail"),
                new TurnEnded(false, new TokenUsage(1, 1, 0, 0), null, null, "success", "tail", null, null),
            ],
            events);
    }

    [Fact]
    public void Error_events_become_agent_errors_and_a_rate_limit_is_reported_once_per_turn()
    {
        var (events, _) = Transcripts.ParseLines(new GeminiStreamJsonParser(new FakeTimeProvider(Now)),
        [
            """{"type":"init","session_id":"a0a0a0a0-0000-4000-8000-000000000001","model":"gemini-2.5-pro"}""",
            """{"type":"message","role":"assistant","content":"Working","delta":true}""",
            """{"type":"error","timestamp":"2026-12-07T15:48:22.894Z","severity":"error","message":"Maximum session turns exceeded"}""",
            """{"type":"error","severity":"error","message":"You exceeded your current quota. Please retry in 12s."}""",
            """{"type":"result","status":"error","error":{"type":"unknown","message":"[API Error: You exceeded your current quota. Please retry in 12s.]"},"stats":{"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":0}}""",
        ]);

        Assert.Equal(
            [
                new SessionInitialized("a0a0a0a0-0000-4000-8000-000000000001", "gemini-2.5-pro", null),
                TurnStarted.Instance,
                new TextBlock("Working"),
                new AgentError(GeminiErrorCodes.Unknown, "Maximum session turns exceeded", false),
                new RateLimitEvent(RateLimitStatus.Rejected, Now.AddSeconds(12), GeminiRateLimits.RetryDelay, false, null, null, null),
                new TurnEnded(true, TokenUsage.Zero, null, "a0a0a0a0-0000-4000-8000-000000000001", "error",
                    "[API Error: You exceeded your current quota. Please retry in 12s.]", null, 0),
            ],
            events);
    }

    [Fact]
    public void A_failed_result_that_is_no_rate_limit_is_an_agent_error_classified_by_its_text()
    {
        var (events, _) = Transcripts.ParseLines(new GeminiStreamJsonParser(new FakeTimeProvider(Now)),
        [
            """{"type":"result","status":"error","error":{"type":"unknown","message":"[API Error: got status: 503 Service Unavailable. The model is overloaded.]"},"stats":{}}""",
            """{"type":"result","status":"error","error":{"type":"FatalTurnLimitedError","message":"Reached max session turns for this session."},"stats":{}}""",
        ]);

        Assert.Equal(
            [
                new AgentError("server_error", "[API Error: got status: 503 Service Unavailable. The model is overloaded.]", false),
                new AgentError("FatalTurnLimitedError", "Reached max session turns for this session.", false),
            ],
            events.OfType<AgentError>());
        Assert.Equal(2, events.OfType<TurnEnded>().Count(t => t.IsError));
    }
}
