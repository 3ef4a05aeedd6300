using System.Text;
using AgentKanban.Agents.Copilot;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Agents.Tests.Copilot;

public sealed class CopilotJsonParserTests
{
    private const string Id = "0b5f2c1e-7d5a-4c1b-9f0e-3a2d1c0b9a87";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TokenUsage SomeUsage = new(60, 7, 40, 0);

    [Fact]
    public void Recorded_tool_run_maps_to_the_session_its_tool_call_and_result_the_text_and_one_turn()
    {
        var parser = Parser(CopilotRecorded.SessionId);
        var (events, results) = Transcripts.ParseLines(parser, Lines(CopilotRecorded.ToolRun));
        parser.Complete(events, SomeUsage);

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        Assert.Equal(
            [
                new SessionInitialized(CopilotRecorded.SessionId, "gpt-5.4", "/work/tree"),
                TurnStarted.Instance,
                new ToolUseBlock("call_2", "bash", """{"command":"echo hi-from-tool; which ak","description":"x"}"""),
                new ToolResultBlock("call_2", "hi-from-tool\n/tmp/cpx/bin/ak\n<shellId: 0 completed with exit code 0>", false),
                new TextBlock("Hello world 3"),
                new TurnEnded(false, SomeUsage, null, CopilotRecorded.SessionId, "success", "Hello world 3", 2, 264),
            ],
            events);
        Assert.True(parser.SawEvents);
        // The streaming copies (deltas) and telemetry produce nothing.
        Assert.All(results.Where((_, i) => Lines(CopilotRecorded.ToolRun)[i].Contains("\"ephemeral\":true", StringComparison.Ordinal) && i > 0),
            r => Assert.Equal(LineOutcome.Ignored, r.Outcome));
    }

    [Fact]
    public void Recorded_resumed_run_reports_the_same_session_and_its_answer()
    {
        var parser = Parser(CopilotRecorded.SessionId);
        var (events, _) = Transcripts.ParseLines(parser, Lines(CopilotRecorded.ResumedRun));
        parser.Complete(events, SomeUsage);

        Assert.Equal(
            [
                new SessionInitialized(CopilotRecorded.SessionId, "gpt-5.4", "/work/tree"),
                TurnStarted.Instance,
                new TextBlock("Hello world 4"),
                new TurnEnded(false, SomeUsage, null, CopilotRecorded.SessionId, "success", "Hello world 4", 1, 5239),
            ],
            events);
    }

    [Fact]
    public void Recorded_429_after_the_clis_retries_is_the_rate_limit_fallback_and_a_failed_turn()
    {
        var parser = Parser(CopilotRecorded.RateLimitedSessionId);
        var (events, results) = Transcripts.ParseLines(parser, Lines(CopilotRecorded.RateLimitedRun));
        parser.Complete(events, TokenUsage.Zero);

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        Assert.Equal(
            [
                new SessionInitialized(CopilotRecorded.RateLimitedSessionId, "gpt-5.4", "/work/tree"),
                TurnStarted.Instance,
                new AgentError(ProviderErrors.RateLimit,
                    "Failed to get response from the AI model; retried 5 times (total retry wait time: 5.00 seconds) Last error: 429 Rate limit reached",
                    IsRateLimitFallback: true),
                new TurnEnded(true, TokenUsage.Zero, null, CopilotRecorded.RateLimitedSessionId, "error", null, 1, 5410),
            ],
            events);
    }

    public static TheoryData<string, string[], AgentEvent> HostedQuotaCases => new()
    {
        {
            "weekly limit, the switch request names the reset",
            [
                """{"type":"session.error","data":{"errorType":"rate_limit","errorCode":"user_weekly_rate_limited","message":"You have hit your weekly rate limit.","statusCode":429,"eligibleForAutoSwitch":true},"id":"e1","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
                """{"type":"auto_mode_switch.requested","data":{"requestId":"r1","errorCode":"user_weekly_rate_limited","retryAfterSeconds":7200},"ephemeral":true,"id":"e2","timestamp":"2026-12-07T12:00:00.500Z","parentId":"e1"}""",
            ],
            new RateLimitEvent(RateLimitStatus.Rejected, Now.AddHours(2).AddMilliseconds(500), "user_weekly_rate_limited", false, null, null, null)
        },
        {
            "the latest reset of the run wins, never an earlier one",
            [
                """{"type":"session.quota_observation","data":{"observation":{"quotaId":"premium_interactions","accessState":"allowed","capacityState":"available","provider":{"id":"github","kind":"github"},"unit":"requests","budgetMetadata":{"consumed":290,"entitlement":300,"overage":0,"overageAllowedWhenExhausted":false,"remainingPercentage":3.3,"resetAtEpochMs":1796659200000,"unlimited":false,"usageAllowedWhenExhausted":false}}},"ephemeral":true,"id":"q1","timestamp":"2026-12-07T11:59:00.000Z","parentId":null}""",
                """{"type":"session.error","data":{"errorType":"rate_limit","errorCode":"user_global_rate_limited","message":"Rate limited.","statusCode":429},"id":"e1","timestamp":"2026-12-07T12:00:00.000Z","parentId":"q1"}""",
                """{"type":"auto_mode_switch.requested","data":{"requestId":"r1","errorCode":"user_global_rate_limited","retryAfterSeconds":60},"ephemeral":true,"id":"e2","timestamp":"2026-12-07T12:00:00.000Z","parentId":"e1"}""",
            ],
            new RateLimitEvent(RateLimitStatus.Rejected, DateTimeOffset.FromUnixTimeMilliseconds(1796659200000), "user_global_rate_limited", false, null, null, null)
        },
        {
            "a quota refusal with the budget's reset",
            [
                """{"type":"session.quota_observation","data":{"observation":{"quotaId":"chat","accessState":"denied","capacityState":"exhausted","provider":{"id":"github","kind":"github"},"unit":"requests","budgetMetadata":{"consumed":50,"entitlement":50,"overage":0,"overageAllowedWhenExhausted":false,"remainingPercentage":0,"resetAtEpochMs":1796700000000,"unlimited":false,"usageAllowedWhenExhausted":false}}},"ephemeral":true,"id":"q1","timestamp":"2026-12-07T11:59:00.000Z","parentId":null}""",
                """{"type":"session.error","data":{"errorType":"quota","errorCode":"quota_exceeded","message":"You have exceeded your Copilot quota."},"id":"e1","timestamp":"2026-12-07T12:00:00.000Z","parentId":"q1"}""",
            ],
            new RateLimitEvent(RateLimitStatus.Rejected, DateTimeOffset.FromUnixTimeMilliseconds(1796700000000), "quota_exceeded", false, null, null, null)
        },
        {
            "no reset offered: the fallback",
            [
                """{"type":"session.error","data":{"errorType":"rate_limit","errorCode":"user_model_rate_limited","message":"Model rate limited.","statusCode":429},"id":"e1","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
            ],
            new AgentError(ProviderErrors.RateLimit, "Model rate limited.", IsRateLimitFallback: true)
        },
        {
            "a reset already past is no reset: the fallback, not an early resume",
            [
                """{"type":"session.quota_observation","data":{"observation":{"quotaId":"chat","accessState":"allowed","capacityState":"available","provider":{"id":"github","kind":"github"},"unit":"requests","budgetMetadata":{"consumed":1,"entitlement":50,"overage":0,"overageAllowedWhenExhausted":false,"remainingPercentage":98,"resetAtEpochMs":1796000000000,"unlimited":false,"usageAllowedWhenExhausted":false}}},"ephemeral":true,"id":"q1","timestamp":"2026-12-07T11:59:00.000Z","parentId":null}""",
                """{"type":"session.error","data":{"errorType":"rate_limit","errorCode":"rate_limited","message":"Slow down.","statusCode":429},"id":"e1","timestamp":"2026-12-07T12:00:00.000Z","parentId":"q1"}""",
            ],
            new AgentError(ProviderErrors.RateLimit, "Slow down.", IsRateLimitFallback: true)
        },
        {
            "a bare 429 status",
            [
                """{"type":"session.error","data":{"errorType":"query","message":"429 Too Many Requests","statusCode":429},"id":"e1","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
            ],
            new AgentError(ProviderErrors.RateLimit, "429 Too Many Requests", IsRateLimitFallback: true)
        },
    };

    [Theory]
    [MemberData(nameof(HostedQuotaCases))]
    public void GitHub_hosted_refusals_are_reported_once_with_the_best_reset_before_the_turn_ends(string name, string[] lines, AgentEvent refusal)
    {
        var parser = Parser(Id);
        var result = """{"type":"result","timestamp":"2026-12-07T12:00:01.000Z","sessionId":"0b5f2c1e-7d5a-4c1b-9f0e-3a2d1c0b9a87","exitCode":1,"usage":{"premiumRequests":0,"totalApiDurationMs":0,"sessionDurationMs":900}}""";
        var (events, results) = Transcripts.ParseLines(parser, [.. lines, result]);
        parser.Complete(events, TokenUsage.Zero);

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        var reported = events.Where(e => e is RateLimitEvent or AgentError).ToList();
        Assert.True(reported.Count == 1 && Equals(reported[0], refusal), $"{name}: {string.Join(", ", reported)}");
        var turn = Assert.IsType<TurnEnded>(events[^1]);
        Assert.True(turn.IsError, name);
        Assert.True(events.IndexOf(reported[0]) < events.Count - 1, name);
    }

    [Fact]
    public void Quota_observations_with_a_percentage_report_the_usage_window()
    {
        var parser = Parser(Id);
        var (events, _) = Transcripts.ParseLines(parser,
        [
            """{"type":"session.quota_observation","data":{"observation":{"quotaId":"premium_interactions","accessState":"allowed","capacityState":"available","provider":{"id":"github","kind":"github"},"unit":"requests","budgetMetadata":{"consumed":75,"entitlement":300,"overage":0,"overageAllowedWhenExhausted":false,"remainingPercentage":75,"resetAtEpochMs":1796659200000,"unlimited":false,"usageAllowedWhenExhausted":false}}},"ephemeral":true,"id":"q1","timestamp":"2026-12-07T11:59:00.000Z","parentId":null}""",
            """{"type":"session.quota_observation","data":{"observation":{"quotaId":"chat","accessState":"not_required","capacityState":"unlimited","provider":{"id":"github","kind":"github"},"unit":"requests"}},"ephemeral":true,"id":"q2","timestamp":"2026-12-07T11:59:00.000Z","parentId":null}""",
        ]);
        parser.Complete(events, TokenUsage.Zero);

        Assert.Equal(
            [
                new SessionInitialized(Id, "gpt-5.4", "/work/tree"),
                new UsageWindowsReported([new UsageWindow("premium_interactions", 25, null, DateTimeOffset.FromUnixTimeMilliseconds(1796659200000))]),
            ],
            events.Select(e => e is UsageWindowsReported w ? new UsageWindowsReported([.. w.Windows]) : e).ToList(),
            new UsageComparer());
        // An observation alone, allowed, refuses nothing.
        Assert.DoesNotContain(events, e => e is RateLimitEvent or AgentError);
    }

    public static TheoryData<string, AgentError> OtherErrors => new()
    {
        {
            """{"type":"session.error","data":{"errorType":"authentication","message":"Not authorized.","statusCode":401},"id":"e","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
            new AgentError("authentication", "Not authorized.", false)
        },
        {
            """{"type":"session.error","data":{"errorType":"query","message":"500 Internal Server Error","statusCode":500},"id":"e","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
            new AgentError("server_error", "500 Internal Server Error", false)
        },
        {
            """{"type":"session.error","data":{"errorType":"quota","errorCode":"billing_not_configured","message":"Set up billing."},"id":"e","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
            new AgentError("billing_not_configured", "Set up billing.", false)
        },
        {
            """{"type":"session.error","data":{"errorType":"context_limit","message":""},"id":"e","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
            new AgentError("context_limit", "context_limit", false)
        },
    };

    [Theory]
    [MemberData(nameof(OtherErrors))]
    public void Other_session_errors_are_ordinary_errors_at_once(string line, AgentError expected)
    {
        var parser = Parser(Id);
        var (events, _) = Transcripts.ParseLines(parser, [line]);
        Assert.Equal([new SessionInitialized(Id, "gpt-5.4", "/work/tree"), expected], events);
    }

    public static TheoryData<string, LineOutcome, LineReason> OddLines => new()
    {
        { "", LineOutcome.Ignored, LineReason.Blank },
        { "   ", LineOutcome.Ignored, LineReason.Blank },
        { "Error: something went wrong", LineOutcome.Skipped, LineReason.NotAnObject },
        { "[1,2]", LineOutcome.Skipped, LineReason.NotAnObject },
        { """{"type":"assistant.message","data":{"content":"cut off""", LineOutcome.Skipped, LineReason.Malformed },
        { """{"type":"assistant.message","data":{"content":"x"}} trailing""", LineOutcome.Skipped, LineReason.Malformed },
        { """{"type":"assistant.message","data":"not an object"}""", LineOutcome.Skipped, LineReason.Malformed },
        { """{"data":{"content":"no type"}}""", LineOutcome.Skipped, LineReason.MissingType },
        { """{"type":42,"data":{}}""", LineOutcome.Skipped, LineReason.MissingType },
        { """{"type":"session.background_tasks_changed","data":{},"ephemeral":true}""", LineOutcome.Ignored, LineReason.NothingToReport },
        { """{"type":"some.future_event","data":{"x":[1,{"y":2}]}}""", LineOutcome.Ignored, LineReason.NothingToReport },
        { """{"type":"assistant.message_delta","data":{"messageId":"m","deltaContent":"Hel"},"ephemeral":true}""", LineOutcome.Ignored, LineReason.NothingToReport },
    };

    [Theory]
    [MemberData(nameof(OddLines))]
    public void Odd_lines_are_skipped_or_ignored(string line, LineOutcome outcome, LineReason reason)
    {
        var parser = Parser(Id);
        var events = new List<AgentEvent>();
        parser.Parse("""{"type":"session.tools_updated","data":{"model":"gpt-5.4"},"ephemeral":true}"""u8, events);
        events.Clear();

        var result = parser.Parse(Encoding.UTF8.GetBytes(line), events);

        Assert.Equal((outcome, reason), (result.Outcome, result.Reason));
        Assert.Empty(events);
    }

    [Theory]
    [MemberData(nameof(OddLines))]
    public void Only_a_well_formed_event_announces_the_session(string line, LineOutcome outcome, LineReason reason)
    {
        var parser = Parser(Id);
        var events = new List<AgentEvent>();

        parser.Parse(Encoding.UTF8.GetBytes(line), events);

        var wellFormed = outcome == LineOutcome.Ignored && reason == LineReason.NothingToReport;
        Assert.Equal(wellFormed, parser.SawEvents);
        Assert.Equal(wellFormed ? [new SessionInitialized(Id, "gpt-5.4", "/work/tree")] : [], events);
    }

    [Fact]
    public void A_broken_line_leaves_no_trace_and_the_next_good_line_announces_the_session()
    {
        var parser = Parser(Id);
        var (events, results) = Transcripts.ParseLines(parser,
        [
            """{"type":"assistant.turn_start","data":{"turnId":"0"}} {""",
            """{"type":"assistant.message","data":{"content":"Hi","toolRequests":[]}}""",
        ]);

        Assert.Equal(LineOutcome.Skipped, results[0].Outcome);
        Assert.Equal([new SessionInitialized(Id, "gpt-5.4", "/work/tree"), TurnStarted.Instance, new TextBlock("Hi")], events);
    }

    [Fact]
    public void Binary_output_is_skipped_and_a_stray_invalid_byte_in_a_string_never_throws()
    {
        var parser = Parser(Id);
        var events = new List<AgentEvent>();
        var binary = new byte[4096];
        new Random(7).NextBytes(binary);
        binary[0] = (byte)'{';

        var result = parser.Parse(binary, events);

        Assert.Equal((LineOutcome.Skipped, LineReason.Malformed), (result.Outcome, result.Reason));
        Assert.Empty(events);
        Assert.False(parser.SawEvents);

        // (The process reader already drops lines that are not UTF-8; should one get here, the text keeps a replacement character.)
        var line = Encoding.UTF8.GetBytes("""{"type":"assistant.message","data":{"content":"a?b"}}""");
        line[Array.IndexOf(line, (byte)'?')] = 0xFF;
        parser.Parse(line, events);
        Assert.Equal(new TextBlock("a\uFFFDb"), events[^1]);
    }

    [Fact]
    public void A_huge_message_and_a_huge_tool_result_come_through_whole()
    {
        var parser = Parser(Id);
        var text = new string('a', 2_000_000);
        var (events, results) = Transcripts.ParseLines(parser,
        [
            "{\"type\":\"assistant.message\",\"data\":{\"content\":\"" + text + "\",\"toolRequests\":[{\"toolCallId\":\"c1\",\"name\":\"bash\",\"arguments\":{\"command\":\"cat big\"}}]}}",
            "{\"type\":\"tool.execution_complete\",\"data\":{\"toolCallId\":\"c1\",\"success\":true,\"result\":{\"content\":\"" + text + "\\n\"}}}",
        ]);

        Assert.All(results, r => Assert.Equal(LineOutcome.Events, r.Outcome));
        Assert.Equal(text, Assert.Single(events.OfType<TextBlock>()).Text);
        Assert.Equal(text + "\n", Assert.Single(events.OfType<ToolResultBlock>()).Output);
    }

    [Fact]
    public void Failed_tool_reports_its_error_message_and_sub_agent_content_names_its_parent()
    {
        var parser = Parser(Id);
        var (events, _) = Transcripts.ParseLines(parser,
        [
            """{"type":"assistant.message","data":{"content":"Looking.","toolRequests":[{"toolCallId":"t1","name":"task","arguments":{"prompt":"look"}}]}}""",
            """{"type":"assistant.reasoning","data":{"reasoningId":"r","content":"Think first.","parentToolCallId":"t1"}}""",
            """{"type":"assistant.message","data":{"content":"Inner.","toolRequests":[],"parentToolCallId":"t1"}}""",
            """{"type":"tool.execution_complete","data":{"toolCallId":"t2","success":false,"error":{"code":"denied","message":"Permission denied."},"parentToolCallId":"t1"}}""",
            """{"type":"tool.execution_complete","data":{"toolCallId":"t1","success":true,"result":{"content":"done","detailedContent":"done in detail"}}}""",
        ]);

        Assert.Equal(
            [
                new SessionInitialized(Id, "gpt-5.4", "/work/tree"),
                TurnStarted.Instance,
                new TextBlock("Looking."),
                new ToolUseBlock("t1", "task", """{"prompt":"look"}"""),
                new ThinkingBlock("Think first.", "t1"),
                new TextBlock("Inner.", "t1"),
                new ToolResultBlock("t2", "Permission denied.", true, "t1"),
                new ToolResultBlock("t1", "done", false),
            ],
            events);
    }

    [Fact]
    public void Output_that_ends_without_a_result_still_reports_a_refusal_but_no_turn()
    {
        var parser = Parser(Id);
        var (events, _) = Transcripts.ParseLines(parser,
        [
            """{"type":"session.error","data":{"errorType":"rate_limit","message":"429","statusCode":429},"id":"e","timestamp":"2026-12-07T12:00:00.000Z","parentId":null}""",
        ]);
        parser.Complete(events, SomeUsage);

        Assert.Equal(
            [new SessionInitialized(Id, "gpt-5.4", "/work/tree"), new AgentError(ProviderErrors.RateLimit, "429", true)],
            events);
        Assert.False(parser.SawResult);
    }

    private static CopilotJsonParser Parser(string sessionId) => new(sessionId, "gpt-5.4", "/work/tree", new FakeTimeProvider(Now));

    private static string[] Lines(string text) => text.Split('\n');

    private sealed class UsageComparer : IEqualityComparer<AgentEvent>
    {
        public bool Equals(AgentEvent? x, AgentEvent? y) => x is UsageWindowsReported a && y is UsageWindowsReported b
            ? a.Windows.SequenceEqual(b.Windows)
            : object.Equals(x, y);

        public int GetHashCode(AgentEvent obj) => 0;
    }
}
