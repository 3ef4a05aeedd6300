using System.Text;
using System.Text.Json;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Tests.ClaudeCode;

public sealed class ClaudeStreamJsonParserTests
{
    private const string HappySession = "0b5f2c1e-7d5a-4c1b-9f0e-3a2d1c0b9a87";

    [Fact]
    public void Happy_path_transcript_maps_every_message()
    {
        var (events, results) = Transcripts.Parse(new ClaudeStreamJsonParser(), "happy-path.jsonl");

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        Assert.Equal(
            [
                new SessionInitialized(HappySession, "claude-sonnet-4-5", "/work/tree"),
                TurnStarted.Instance,
                new ThinkingBlock("The task wants a file."),
                new TextBlock("I will claim the task first.\nThen write \"hello.txt\"."),
                new ToolUseBlock("toolu_1", "Bash", """{"command":"ak task claim","description":"Claim the task"}"""),
                new ToolResultBlock("toolu_1", "claimed task t-1", false),
                new RateLimitEvent(RateLimitStatus.AllowedWarning, DateTimeOffset.FromUnixTimeSeconds(1764003600), "seven_day", false, null, null, 0.91),
                new ToolUseBlock("toolu_2", "Task", """{"description":"Check tests","prompt":"Run the tests"}"""),
                new TextBlock("Sub-agent here.", "toolu_2"),
                new ToolResultBlock("toolu_2", "tests: 3 failed\n[image]\nsee log", true),
                new TextBlock("Done. Requesting review."),
                new TurnEnded(false, new TokenUsage(100, 400, 30000, 2000), 0.123456m, HappySession, "success", "Done. Requesting review.", 4, 12345),
            ],
            events);
        // The partial stream events produced nothing but the turn start.
        Assert.Equal(LineOutcome.Events, results[1].Outcome);
        Assert.Equal(new LineParseResult(LineOutcome.Ignored, 0, LineReason.PartialMessage, null), results[2]);
    }

    [Fact]
    public void Rate_limited_turn_with_overage_reports_the_structured_event_and_drops_the_fallback()
    {
        var (events, results) = Transcripts.Parse(new ClaudeStreamJsonParser(), "rate-limited-overage.jsonl");

        Assert.Equal(
            [
                new SessionInitialized("5c1d7f0a-1111-4222-8333-944455556666", "claude-opus-4-1", "/work/tree"),
                TurnStarted.Instance,
                new RateLimitEvent(
                    RateLimitStatus.Rejected,
                    DateTimeOffset.FromUnixTimeSeconds(1764003600),
                    "five_hour",
                    false,
                    RateLimitStatus.Rejected,
                    DateTimeOffset.FromUnixTimeSeconds(1764010800),
                    1.0),
                new TurnEnded(true, TokenUsage.Zero, 0m, "5c1d7f0a-1111-4222-8333-944455556666", "success", "Claude AI usage limit reached|1764003600", 1, 310),
            ],
            events);
        Assert.Equal(LineReason.RateLimitAlreadyReported, results[2].Reason);
        Assert.Equal(LineOutcome.Ignored, results[2].Outcome);
    }

    [Fact]
    public void Fallback_counts_unless_a_rejection_was_reported_in_the_same_turn()
    {
        var (events, _) = Transcripts.Parse(new ClaudeStreamJsonParser(), "rate-limit-fallback.jsonl");

        var interesting = events.Where(e => e is RateLimitEvent or AgentError or TurnEnded or TurnStarted).ToList();
        Assert.Collection(
            interesting,
            e => Assert.IsType<TurnStarted>(e),
            e => Assert.Equal(RateLimitStatus.Allowed, Assert.IsType<RateLimitEvent>(e).Status),
            // An "allowed" report does not make the assistant's rate-limit error redundant: it is the only rejection.
            e => Assert.Equal(new AgentError("rate_limit", "API Error: Rate limit reached", true), e),
            e => Assert.True(Assert.IsType<TurnEnded>(e).IsError),
            e => Assert.IsType<TurnStarted>(e),
            e =>
            {
                var rejected = Assert.IsType<RateLimitEvent>(e);
                Assert.Equal(RateLimitStatus.Rejected, rejected.Status);
                Assert.Null(rejected.ResetsAt);
            },
            // The second turn's error follows a structured rejection: dropped.
            e => Assert.IsType<TurnEnded>(e),
            e => Assert.IsType<TurnStarted>(e),
            e =>
            {
                var overage = Assert.IsType<RateLimitEvent>(e);
                Assert.True(overage.IsUsingOverage);
                Assert.Equal(RateLimitStatus.Allowed, overage.OverageStatus);
            });
        Assert.DoesNotContain(events, e => e is TextBlock);
    }

    [Fact]
    public void Recorded_rate_limited_run_of_the_real_cli()
    {
        var (events, results) = Transcripts.Parse(new ClaudeStreamJsonParser(), "recorded-2.1.330-rate-limited.jsonl");

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        var init = Assert.IsType<SessionInitialized>(events[0]);
        Assert.Equal("6f1c2a3e-0000-4000-8000-000000000004", init.ProviderSessionId);
        var limit = Assert.Single(events.OfType<RateLimitEvent>());
        Assert.Equal(RateLimitStatus.Rejected, limit.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764003600), limit.ResetsAt);
        Assert.Equal(RateLimitStatus.Rejected, limit.OverageStatus);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764007200), limit.OverageResetsAt);
        Assert.Equal("five_hour", limit.RateLimitType);
        Assert.Empty(events.OfType<AgentError>());
        // The real CLI writes "type" last in its result line: still understood.
        var end = Assert.IsType<TurnEnded>(events[^1]);
        Assert.True(end.IsError);
        Assert.Equal("6f1c2a3e-0000-4000-8000-000000000004", end.ResumeToken);
    }

    [Fact]
    public void Recorded_api_error_of_the_real_cli_is_an_error_not_agent_text()
    {
        var (events, _) = Transcripts.Parse(new ClaudeStreamJsonParser(), "recorded-2.1.330-api-error.jsonl");

        var error = Assert.Single(events.OfType<AgentError>());
        Assert.Equal(new AgentError("unknown", "API Error: 400 fake says no", false), error);
        Assert.Empty(events.OfType<TextBlock>());
        Assert.True(Assert.IsType<TurnEnded>(events[^1]).IsError);
    }

    [Fact]
    public void Recorded_resume_of_an_unknown_session_says_the_conversation_is_gone()
    {
        var (events, _) = Transcripts.Parse(new ClaudeStreamJsonParser(), "recorded-2.1.330-resume-unknown.jsonl");

        const string reason = "No conversation found with session ID: 6f1c2a3e-0000-4000-8000-0000000000ff";
        Assert.Equal(
            [TurnStarted.Instance, new AgentError(ProviderErrors.ConversationNotFound, reason, false)],
            events.Take(2));
        var end = Assert.IsType<TurnEnded>(events[^1]);
        Assert.Equal(3, events.Count);
        Assert.True(end.IsError);
        Assert.Equal("error_during_execution", end.Subtype);
        Assert.Equal(reason, end.ResultText);
    }

    [Fact]
    public void Recorded_429_on_an_api_key_is_the_rate_limit_fallback_once()
    {
        // The real CLI on ANTHROPIC_API_KEY: no rate_limit_event, its own retries, then the assistant's error and an
        // error result, both naming the 429.
        var (events, results) = Transcripts.Parse(new ClaudeStreamJsonParser(), "recorded-2.1.330-api-key-rate-limited.jsonl");

        Assert.DoesNotContain(results, r => r.Outcome == LineOutcome.Skipped);
        Assert.Empty(events.OfType<RateLimitEvent>());
        const string text = "API Error: Request rejected (429) · This request would exceed your account's rate limit.";
        Assert.Equal(new AgentError(ProviderErrors.RateLimit, text, true), Assert.Single(events.OfType<AgentError>()));
        Assert.True(Assert.IsType<TurnEnded>(events[^1]).IsError);
    }

    public static TheoryData<string, string, bool> ResultOnlyCases() => new()
    {
        // name, the result line's error fields, counts as a rate limit
        { "status 429", "\"api_error_status\":429", true },
        { "rate_limit_error type", "\"api_error_type\":\"rate_limit_error\"", true },
        { "both", "\"api_error_status\":429,\"api_error_type\":\"rate_limit_error\"", true },
        { "another status", "\"api_error_status\":400,\"api_error_type\":\"invalid_request_error\"", false },
        { "an overloaded provider", "\"api_error_status\":529,\"api_error_type\":\"overloaded_error\"", false },
        { "no status at all", "\"terminal_reason\":\"api_error\"", false },
    };

    [Theory]
    [MemberData(nameof(ResultOnlyCases))]
    public void A_failed_result_naming_a_429_is_the_rate_limit_fallback_when_nothing_else_said_so(string name, string fields, bool rateLimited)
    {
        var line = $$$"""{"is_error":true,"num_turns":1,"subtype":"success",{{{fields}}},"result":"API Error: 429","session_id":"s-1","type":"result"}""";

        var (events, _) = Transcripts.ParseLines(new ClaudeStreamJsonParser(), [line]);

        var fallback = events.OfType<AgentError>().SingleOrDefault();
        Assert.True(rateLimited == (fallback is { IsRateLimitFallback: true, Code: ProviderErrors.RateLimit }), name);
        Assert.True(Assert.IsType<TurnEnded>(events[^1]).IsError);

        // A result that did not fail, whatever it names, is no rate limit.
        var (succeeded, _) = Transcripts.ParseLines(new ClaudeStreamJsonParser(), [line.Replace("\"is_error\":true", "\"is_error\":false", StringComparison.Ordinal)]);
        Assert.Empty(succeeded.OfType<AgentError>());
    }

    [Fact]
    public void A_429_result_after_a_structured_rejection_in_the_same_turn_adds_nothing()
    {
        var (events, _) = Transcripts.ParseLines(new ClaudeStreamJsonParser(),
        [
            """{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1764003600,"rateLimitType":"five_hour"}}""",
            """{"type":"result","is_error":true,"api_error_status":429,"result":"limit","session_id":"s-1"}""",
            // The next turn starts afresh: its own 429 counts again.
            """{"type":"result","is_error":true,"api_error_status":429,"result":"limit","session_id":"s-1"}""",
        ]);

        Assert.Single(events.OfType<RateLimitEvent>());
        Assert.Single(events.OfType<AgentError>());
        Assert.Equal(2, events.OfType<TurnEnded>().Count());
        Assert.IsType<AgentError>(events[^2]);
    }

    public static TheoryData<string, LineOutcome, LineReason> OddLines() => new()
    {
        { "", LineOutcome.Ignored, LineReason.Blank },
        { "   \r", LineOutcome.Ignored, LineReason.Blank },
        { "not json at all", LineOutcome.Skipped, LineReason.NotAnObject },
        { "[1,2,3]", LineOutcome.Skipped, LineReason.NotAnObject },
        { "{\"type\":\"assistant\",\"message\":{\"content\":[", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"assistant\",\"message\":{}} trailing", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"bad \\u12\"}]}}", LineOutcome.Skipped, LineReason.Malformed },
        { "{\"message\":{}}", LineOutcome.Skipped, LineReason.MissingType },
        { "{\"type\":\"control_request\",\"request\":{}}", LineOutcome.Skipped, LineReason.UnknownType },
        { "{\"type\":42}", LineOutcome.Skipped, LineReason.UnknownType },
        { "{\"type\":\"system\",\"subtype\":\"compact_boundary\"}", LineOutcome.Ignored, LineReason.NothingToReport },
        { "{\"type\":\"system\",\"subtype\":\"init\"}", LineOutcome.Ignored, LineReason.NothingToReport },
        { "{\"type\":\"stream_event\",\"event\":{BROKEN", LineOutcome.Ignored, LineReason.PartialMessage },
        { "{\"type\":\"rate_limit_event\"}", LineOutcome.Ignored, LineReason.NothingToReport },
    };

    [Theory]
    [MemberData(nameof(OddLines))]
    public void Odd_lines_never_throw_and_say_why(string line, LineOutcome outcome, LineReason reason)
    {
        var parser = new ClaudeStreamJsonParser();
        // Open a turn first so lines that produce nothing also produce no TurnStarted.
        parser.Parse("{\"type\":\"stream_event\"}"u8, []);
        var events = new List<AgentEvent>();

        var result = parser.Parse(Encoding.UTF8.GetBytes(line), events);

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(reason, result.Reason);
        Assert.Empty(events);
        if (outcome == LineOutcome.Skipped && reason is LineReason.UnknownType or LineReason.Malformed)
        {
            Assert.False(string.IsNullOrEmpty(result.Detail));
        }
    }

    [Fact]
    public void Recorded_live_input_run_of_the_real_cli_acknowledges_each_message_by_its_uuid()
    {
        // --input-format stream-json --replay-user-messages: the prompt, two messages written while a Bash call ran (taken
        // into the next request), and one written during the last request (taken as a second turn after the result).
        var (events, _) = Transcripts.Parse(new ClaudeStreamJsonParser(), "recorded-2.1.330-live-input.jsonl");

        Assert.Equal(
            ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333",
                "44444444-4444-4444-4444-444444444444"],
            events.OfType<InputAccepted>().Select(a => a.MessageId));
        Assert.Equal(2, events.OfType<TurnEnded>().Count());
        // The late message was taken after the first result, before the second turn's reply.
        var kinds = events.Select(e => e.GetType().Name).ToList();
        Assert.True(kinds.IndexOf(nameof(TurnEnded)) < events.IndexOf(events.OfType<InputAccepted>().Last()));
        // An echoed message is never mistaken for what the agent said.
        Assert.All(events.OfType<TextBlock>(), t => Assert.StartsWith("reply", t.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void An_echoed_user_message_without_a_uuid_is_accepted_with_no_id_and_a_plain_user_line_is_not()
    {
        var parser = new ClaudeStreamJsonParser();
        var events = new List<AgentEvent>();
        parser.Parse("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},\"isReplay\":true}"u8, events);
        Assert.Equal([TurnStarted.Instance, new InputAccepted(null)], events);

        events.Clear();
        parser.Parse("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},\"uuid\":\"u-1\"}"u8, events);
        Assert.Empty(events);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_skipped_without_events()
    {
        var parser = new ClaudeStreamJsonParser();
        var events = new List<AgentEvent>();
        byte[] line = [.. "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"a\\n"u8, 0xFF, 0xFE, .. "\"}]}}"u8];

        var result = parser.Parse(line, events);

        Assert.Equal(LineOutcome.Skipped, result.Outcome);
        Assert.Equal(LineReason.Malformed, result.Reason);
        Assert.Empty(events);
        // The failed line left no half-open turn behind.
        parser.Parse("{\"type\":\"assistant\",\"message\":{\"content\":\"hi\"}}"u8, events);
        Assert.Equal([TurnStarted.Instance, new TextBlock("hi")], events);
    }

    [Fact]
    public void Properties_in_any_order_are_understood()
    {
        var parser = new ClaudeStreamJsonParser();
        var events = new List<AgentEvent>();
        var line = """
            {"parent_tool_use_id":"toolu_9","message":{"content":[{"input":{"a":[1,{"b":"}"}]},"name":"Grep","id":"toolu_3","type":"tool_use"},{"text":"esc\u00e9 \"q\"","type":"text"}]},"type":"assistant","uuid":"x"}
            """;

        var result = parser.Parse(Encoding.UTF8.GetBytes(line), events);

        Assert.Equal(LineOutcome.Events, result.Outcome);
        Assert.Equal(
            [
                TurnStarted.Instance,
                new ToolUseBlock("toolu_3", "Grep", """{"a":[1,{"b":"}"}]}""", "toolu_9"),
                new TextBlock("escé \"q\"", "toolu_9"),
            ],
            events);
    }

    [Fact]
    public void A_turn_is_opened_once_and_closed_by_the_result()
    {
        var parser = new ClaudeStreamJsonParser();
        var (events, _) = Transcripts.ParseLines(parser,
        [
            """{"type":"assistant","message":{"content":[{"type":"text","text":"a"}]}}""",
            """{"type":"assistant","message":{"content":[{"type":"text","text":"b"}]}}""",
            """{"type":"result","subtype":"success","is_error":false,"total_cost_usd":1.5}""",
            """{"type":"result","subtype":"success","is_error":false}""",
            """{"type":"user","message":{"content":"the prompt echo"}}""",
        ]);

        Assert.Equal(
            [
                TurnStarted.Instance, new TextBlock("a"), new TextBlock("b"),
                new TurnEnded(false, TokenUsage.Zero, 1.5m, null, "success", null, null, null),
                TurnStarted.Instance, new TurnEnded(false, TokenUsage.Zero, null, null, "success", null, null, null),
                TurnStarted.Instance,
            ],
            events);

        parser.Reset();
        var again = new List<AgentEvent>();
        parser.Parse("""{"type":"assistant","message":{"content":[{"type":"text","text":"c"}]}}"""u8, again);
        Assert.Equal(TurnStarted.Instance, again[0]);
    }

    [Theory]
    [InlineData("1764003600", 1764003600L)]
    [InlineData("1764003600.5", 1764003600L)]
    [InlineData("1764003600123", 1764003600L)]       // milliseconds
    [InlineData("\"2025-11-24T17:00:00Z\"", 1764003600L)]
    [InlineData("null", null)]
    [InlineData("\"soon\"", null)]
    [InlineData("1e300", null)]                        // nonsense is not a date
    public void Reset_times_are_read_leniently(string json, long? expectedSeconds)
    {
        var events = new List<AgentEvent>();
        var line = $$$"""{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":{{{json}}}}}""";

        new ClaudeStreamJsonParser().Parse(Encoding.UTF8.GetBytes(line), events);

        var limit = Assert.IsType<RateLimitEvent>(events[^1]);
        Assert.Equal(expectedSeconds, limit.ResetsAt?.ToUnixTimeSeconds());
    }

    [Fact]
    public void Other_assistant_errors_are_classified_by_code()
    {
        var events = new List<AgentEvent>();
        new ClaudeStreamJsonParser().Parse(
            """{"type":"assistant","message":{"content":[]},"error":"authentication_failed"}"""u8, events);

        Assert.Equal(new AgentError("authentication_failed", "authentication_failed", false), events[^1]);
    }

    [Fact]
    public void Lines_that_produce_nothing_allocate_nothing()
    {
        var parser = new ClaudeStreamJsonParser();
        var events = new List<AgentEvent>(16);
        var partial = """{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello"}},"parent_tool_use_id":null,"session_id":"s","uuid":"u"}"""u8.ToArray();
        var compact = """{"type":"system","subtype":"compact_boundary","session_id":"s","compact_metadata":{"trigger":"auto","pre_tokens":1000}}"""u8.ToArray();
        var echo = """{"type":"user","message":{"role":"user","content":[{"type":"text","text":"prompt"}]},"tool_use_result":{"x":[1,2,3]}}"""u8.ToArray();
        parser.Parse(partial, events); // opens the turn
        for (var i = 0; i < 1000; i++)
        {
            Run(parser, events, partial, compact, echo);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Run(parser, events, partial, compact, echo);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        static void Run(ClaudeStreamJsonParser parser, List<AgentEvent> events, byte[] a, byte[] b, byte[] c)
        {
            parser.Parse(a, events);
            parser.Parse(b, events);
            parser.Parse(c, events);
            if (events.Count != 1)
            {
                throw new InvalidOperationException("unexpected events");
            }
        }
    }

    [Fact]
    public void Generated_style_lines_parse_to_the_expected_counts()
    {
        // The benchmark's transcript shape, built here so the test does not need node.
        var parser = new ClaudeStreamJsonParser();
        var lines = new List<string>
        {
            """{"type":"system","subtype":"init","session_id":"s-1","model":"m","cwd":"/w","tools":["Bash"]}""",
        };
        for (var turn = 0; turn < 50; turn++)
        {
            var output = string.Join("\n", Enumerable.Range(0, 30).Select(i => $"  const x{i} = await f(\"a\", {{ retries: {i % 5} }});"));
            lines.Add(JsonSerializer.Serialize(new
            {
                type = "assistant",
                message = new { id = $"msg_{turn}", content = new object[] { new { type = "text", text = $"turn {turn}" }, new { type = "tool_use", id = $"toolu_{turn}", name = "Read", input = new { file_path = "/x.ts" } } } },
                parent_tool_use_id = (string?)null,
            }));
            lines.Add(JsonSerializer.Serialize(new
            {
                type = "user",
                message = new { role = "user", content = new object[] { new { tool_use_id = $"toolu_{turn}", type = "tool_result", content = output, is_error = false } } },
                tool_use_result = new { type = "text", file = new { content = output } },
            }));
        }

        lines.Add("""{"type":"result","subtype":"success","is_error":false,"total_cost_usd":12.3456,"session_id":"s-1","usage":{"input_tokens":1,"output_tokens":2,"cache_read_input_tokens":3,"cache_creation_input_tokens":4}}""");

        var (events, results) = Transcripts.ParseLines(parser, lines);

        Assert.All(results, r => Assert.Equal(LineOutcome.Events, r.Outcome));
        Assert.Equal(50, events.OfType<TextBlock>().Count());
        Assert.Equal(50, events.OfType<ToolUseBlock>().Count());
        var results50 = events.OfType<ToolResultBlock>().ToList();
        Assert.Equal(50, results50.Count);
        Assert.Contains("const x29 = await f(\"a\", { retries: 4 });", results50[0].Output, StringComparison.Ordinal);
        Assert.Equal(new TokenUsage(1, 2, 3, 4), Assert.IsType<TurnEnded>(events[^1]).Usage);
    }
}
