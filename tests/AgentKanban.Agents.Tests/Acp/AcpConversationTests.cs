using System.Text;
using System.Text.Json.Nodes;
using AgentKanban.Agents.Acp;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Agents.Tests.Acp;

/// <summary>The ACP client's dialogue and event mapping, fed recorded and constructed agent lines (no process).</summary>
public sealed class AcpConversationTests
{
    private const string Cwd = "/work/tree";
    private const string RecordedSession = "a68cc5f8-8b31-47ea-8332-954b8c31573a";
    private const string Session = "s-1";

    private static readonly Dictionary<string, string?> NoEnvironment = [];

    /// <summary>16:05 UTC on the day the lines were recorded.</summary>
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 7, 16, 5, 0, TimeSpan.Zero));

    /// <summary>A conversation with what it wrote and reported so far.</summary>
    private sealed class Run
    {
        public Run(string? resumeToken = null, IReadOnlyDictionary<string, string?>? environment = null)
        {
            Conversation = new AcpConversation(Cwd, "Do the task.", resumeToken, environment ?? NoEnvironment, Clock);
            var outgoing = new List<byte[]>();
            Conversation.Begin(outgoing);
            Sent.AddRange(outgoing.Select(Parse));
        }

        public AcpConversation Conversation { get; }

        public List<AgentEvent> Events { get; } = [];

        public List<JsonObject> Sent { get; } = [];

        public List<LineParseResult> Results { get; } = [];

        public Run Feed(string lines)
        {
            foreach (var line in lines.Split('\n'))
            {
                var outgoing = new List<byte[]>();
                Results.Add(Conversation.Receive(Encoding.UTF8.GetBytes(line), Events, outgoing));
                Sent.AddRange(outgoing.Select(Parse));
            }

            return this;
        }

        /// <summary>Answers the request last sent with <paramref name="result"/> (a JSON object's text).</summary>
        public Run Answer(string result) => Feed($$"""{"jsonrpc":"2.0","id":{{(long)Sent[^1]["id"]!}},"result":{{result}}}""");

        public Run AnswerError(int code, string message, string? data = null) =>
            Feed($$$"""{"jsonrpc":"2.0","id":{{{(long)Sent[^1]["id"]!}}},"error":{"code":{{{code}}},"message":"{{{message}}}"{{{(data is null ? "" : ",\"data\":" + data)}}}}}""");

        public Run Update(string update) =>
            Feed($$$"""{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"{{{Session}}}","update":{{{update}}}}}""");

        /// <summary>Through initialize and session/new into the prompt.</summary>
        public Run Prompting(string capabilities = """{"loadSession":true}""") =>
            Answer($$"""{"protocolVersion":1,"agentCapabilities":{{capabilities}},"authMethods":[]}""").Answer($$"""{"sessionId":"{{Session}}"}""");

        private static JsonObject Parse(byte[] line)
        {
            Assert.Equal((byte)'\n', line[^1]);
            return JsonNode.Parse(line.AsSpan(0, line.Length - 1))!.AsObject();
        }
    }

    private static string Method(JsonObject message) => (string)message["method"]!;

    private static T Only<T>(Run run) => Assert.Single(run.Events.OfType<T>());

    [Fact]
    public void A_recorded_new_session_with_a_tool_call_maps_to_the_run_events()
    {
        var run = new Run().Feed(AcpRecorded.ToolCallRun);

        Assert.Equal(["initialize", "session/new", "session/prompt"], run.Sent.Select(Method));
        Assert.Equal(1, (int)run.Sent[0]["params"]!["protocolVersion"]!);
        Assert.False((bool)run.Sent[0]["params"]!["clientCapabilities"]!["terminal"]!);
        Assert.Equal(Cwd, (string)run.Sent[1]["params"]!["cwd"]!);
        Assert.Empty(run.Sent[1]["params"]!["mcpServers"]!.AsArray());
        Assert.Equal(RecordedSession, (string)run.Sent[2]["params"]!["sessionId"]!);
        Assert.Equal("Do the task.", (string)run.Sent[2]["params"]!["prompt"]![0]!["text"]!);

        Assert.Equal(6, run.Events.Count);
        Assert.Equal(new SessionInitialized(RecordedSession, null, Cwd), run.Events[0]);
        Assert.Same(TurnStarted.Instance, run.Events[1]);
        var tool = Assert.IsType<ToolUseBlock>(run.Events[2]);
        Assert.Equal(("toolu_0", "Bash"), (tool.Id, tool.Name));
        Assert.Equal("echo hello-from-bash && which ak || true", (string)JsonNode.Parse(tool.InputJson)!["command"]!);
        Assert.Equal(new ToolResultBlock("toolu_0", "hello-from-bash", false), run.Events[3]);
        Assert.Equal(new TextBlock("Hello from the fake."), run.Events[4]);
        Assert.Equal(new TurnEnded(false, new TokenUsage(200, 40, 10, 0), null, RecordedSession, "end_turn", null, null, null), run.Events[5]);
        Assert.True(run.Conversation.Finished);
        Assert.False(run.Conversation.Failed);
        Assert.DoesNotContain(run.Results, r => r.Outcome == LineOutcome.Skipped);
    }

    [Fact]
    public void A_recorded_multi_step_run_with_permission_requests_maps_every_step()
    {
        var run = new Run().Feed(AcpRecorded.MultiStepRun);

        Assert.Equal(5, run.Events.OfType<ToolUseBlock>().Count());
        Assert.Equal(5, run.Events.OfType<ToolResultBlock>().Count(r => !r.IsError));
        Assert.Equal(
            run.Events.OfType<ToolUseBlock>().Select(t => t.Id),
            run.Events.OfType<ToolResultBlock>().Select(r => r.ToolUseId));
        Assert.Equal(6, run.Events.OfType<TextBlock>().Count());
        Assert.StartsWith("Step 1: running `ls -la`.", run.Events.OfType<TextBlock>().First().Text, StringComparison.Ordinal);
        // Both permission requests were answered with their allow-once option, under their own ids.
        var answers = run.Sent.Where(m => m["result"] is not null).ToList();
        Assert.Equal([0, 1], answers.Select(a => (int)a["id"]!));
        Assert.All(answers, a => Assert.Equal("allow", (string?)a["result"]!["outcome"]!["optionId"]));
        Assert.Equal(new TokenUsage(600, 120, 30, 0), Assert.IsType<TurnEnded>(run.Events[^1]).Usage);
        Assert.DoesNotContain(run.Results, r => r.Outcome == LineOutcome.Skipped);
    }

    [Fact]
    public void A_resume_opens_the_same_session_with_session_resume()
    {
        var run = new Run(resumeToken: RecordedSession).Feed(AcpRecorded.ResumedRun);

        Assert.Equal(["initialize", "session/resume", "session/prompt"], run.Sent.Select(Method));
        Assert.Equal(RecordedSession, (string)run.Sent[1]["params"]!["sessionId"]!);
        Assert.Equal(new SessionInitialized(RecordedSession, null, Cwd), run.Events[0]);
        Assert.Equal(RecordedSession, Only<TurnEnded>(run).ResumeToken);
        Assert.Single(run.Events.OfType<TextBlock>());
    }

    [Fact]
    public void A_resume_of_a_session_the_agent_does_not_have_is_a_lost_conversation()
    {
        var run = new Run(resumeToken: "11111111-2222-3333-4444-555555555555").Feed(AcpRecorded.UnknownResume);

        var error = Only<AgentError>(run);
        Assert.Equal(ProviderErrors.ConversationNotFound, error.Code);
        Assert.False(error.IsRateLimitFallback);
        Assert.Equal(["initialize", "session/resume"], run.Sent.Select(Method)); // no prompt after the failed resume
        Assert.True(run.Conversation.Failed);
        Assert.Empty(run.Events.OfType<SessionInitialized>());
    }

    [Theory]
    [InlineData("""{"loadSession":true,"sessionCapabilities":{"resume":{}}}""", "session/resume")]
    [InlineData("""{"loadSession":true,"sessionCapabilities":{"resume":null}}""", "session/load")]
    [InlineData("""{"loadSession":true}""", "session/load")]
    public void A_resume_prefers_session_resume_then_session_load(string capabilities, string method)
    {
        var run = new Run(resumeToken: Session).Answer($$"""{"protocolVersion":1,"agentCapabilities":{{capabilities}}}""");

        Assert.Equal(method, Method(run.Sent[^1]));
    }

    [Fact]
    public void An_agent_that_can_neither_resume_nor_load_loses_the_conversation_without_asking()
    {
        var run = new Run(resumeToken: Session).Answer("""{"protocolVersion":1,"agentCapabilities":{"loadSession":false}}""");

        Assert.Equal(ProviderErrors.ConversationNotFound, Only<AgentError>(run).Code);
        Assert.Single(run.Sent);
        Assert.True(run.Conversation.Finished);
    }

    [Fact]
    public void History_replayed_by_session_load_is_not_reported_again()
    {
        var run = new Run(resumeToken: Session).Answer("""{"protocolVersion":1,"agentCapabilities":{"loadSession":true}}""")
            .Update("""{"sessionUpdate":"user_message_chunk","content":{"type":"text","text":"old prompt"}}""")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"old answer"}}""")
            .Answer("null")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"new answer"}}""")
            .Answer("""{"stopReason":"end_turn"}""");

        Assert.Equal([new TextBlock("new answer")], run.Events.OfType<TextBlock>());
        Assert.Equal(Session, Only<SessionInitialized>(run).ProviderSessionId);
    }

    [Fact]
    public void The_recorded_429_of_claude_agent_acp_is_the_rate_limit_fallback()
    {
        var run = new Run().Feed(AcpRecorded.RateLimited);

        var error = Only<AgentError>(run);
        Assert.Equal(ProviderErrors.RateLimit, error.Code);
        Assert.True(error.IsRateLimitFallback);
        Assert.Contains("Rate limit reached", error.Detail, StringComparison.Ordinal);
        Assert.Empty(run.Events.OfType<RateLimitEvent>());
        Assert.True(Only<TurnEnded>(run).IsError);
        Assert.True(run.Conversation.Failed);
    }

    public static TheoryData<string, int, string, string?, string?, bool> PromptErrors => new()
    {
        // name, code, message, data, expected code (null: RateLimitEvent), fallback
        { "claude-agent-acp 429", -32603, "Internal error: API Error: 429 {\\\"type\\\":\\\"error\\\"}", null, ProviderErrors.RateLimit, true },
        { "claude-agent-acp rate limit", -32603, "Internal error: API Error: Rate limit reached", null, ProviderErrors.RateLimit, true },
        { "codex-acp usage limit", -32603, "Internal error", """{"codex_error_info":"usage_limit_exceeded"}""", ProviderErrors.RateLimit, true },
        { "codex-acp usage limit with reset", -32603, "Internal error", """{"codex_error_info":"usage_limit_exceeded","resets_at":1900000000}""", null, false },
        { "claude-agent-acp session limit, printed reset", -32603, "Internal error: You've hit your session limit · resets 6pm (UTC)", null, null, false },
        { "claude-agent-acp weekly limit, unknown zone", -32603, "Internal error: You've hit your weekly limit · resets Dec 9, 5pm (Mars/Olympus)", null, ProviderErrors.RateLimit, true },
        { "quota", -32603, "Quota exceeded for quota metric", null, ProviderErrors.RateLimit, true },
        { "server error", -32603, "Internal error: API Error: 500 Internal Server Error", null, "server_error", false },
        { "overloaded", -32603, "Internal error: API Error: 529 overloaded_error", null, "server_error", false },
        { "authentication required", -32000, "Authentication required", null, "authentication_failed", false },
        { "bad key", -32603, "Internal error: API Error: 401 invalid x-api-key", null, "authentication_failed", false },
        { "other", -32603, "Internal error", """{"details":"something broke"}""", "acp_error", false },
    };

    [Theory]
    [MemberData(nameof(PromptErrors))]
    public void A_failed_prompt_is_classified(string name, int code, string message, string? data, string? expectedCode, bool fallback)
    {
        var run = new Run().Prompting().AnswerError(code, message, data);

        Assert.True(run.Conversation.Failed, name);
        Assert.True(Only<TurnEnded>(run).IsError);
        if (expectedCode is null)
        {
            var limit = Only<RateLimitEvent>(run);
            Assert.Equal(RateLimitStatus.Rejected, limit.Status);
            Assert.Equal(data is null ? new DateTimeOffset(2026, 12, 7, 18, 1, 0, TimeSpan.Zero) : DateTimeOffset.FromUnixTimeSeconds(1900000000), limit.ResetsAt);
            Assert.Empty(run.Events.OfType<AgentError>());
        }
        else
        {
            var error = Only<AgentError>(run);
            Assert.Equal(expectedCode, error.Code);
            Assert.Equal(fallback, error.IsRateLimitFallback);
        }
    }

    [Fact]
    public void Copilots_429_answer_with_end_turn_is_the_rate_limit_fallback_not_a_message()
    {
        var run = new Run().Prompting()
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"Error: Failed to get response from the AI model; retried 5 times. "}}""")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"Last error: 429 Too Many Requests"}}""")
            .Answer("""{"stopReason":"end_turn"}""");

        var error = Only<AgentError>(run);
        Assert.True(error.IsRateLimitFallback);
        Assert.Empty(run.Events.OfType<TextBlock>());
        Assert.True(Only<TurnEnded>(run).IsError);
    }

    [Fact]
    public void An_answer_that_only_mentions_429_after_real_work_stays_an_answer()
    {
        var run = new Run().Prompting()
            .Update("""{"sessionUpdate":"tool_call","toolCallId":"c1","title":"grep","kind":"search","status":"pending","rawInput":{"q":"429"}}""")
            .Update("""{"sessionUpdate":"tool_call_update","toolCallId":"c1","status":"completed","content":[{"type":"content","content":{"type":"text","text":"found"}}]}""")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"The client now retries on 429 Too Many Requests (rate limit)."}}""")
            .Answer("""{"stopReason":"end_turn"}""");

        Assert.Empty(run.Events.OfType<AgentError>());
        Assert.Single(run.Events.OfType<TextBlock>());
        Assert.False(Only<TurnEnded>(run).IsError);
    }

    [Fact]
    public void Chunks_make_one_block_per_contiguous_message_and_thought()
    {
        var run = new Run().Prompting()
            .Update("""{"sessionUpdate":"agent_thought_chunk","content":{"type":"text","text":"Let me "}}""")
            .Update("""{"sessionUpdate":"agent_thought_chunk","content":{"type":"text","text":"think."}}""")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"First "}}""")
            .Update("""{"sessionUpdate":"usage_update","used":10,"size":100}""")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"part."}}""")
            .Update("""{"sessionUpdate":"tool_call","toolCallId":"c1","title":"Run ls","kind":"execute","status":"pending","rawInput":{"command":"ls"}}""")
            .Update("""{"sessionUpdate":"tool_call_update","toolCallId":"c1","status":"failed","rawOutput":"ls: no such file"}""")
            .Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"Second."}}""")
            .Answer("""{"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":6}}""");

        Assert.Equal(
            [
                new SessionInitialized(Session, null, Cwd), TurnStarted.Instance, new ThinkingBlock("Let me think."), new TextBlock("First part."),
                new ToolUseBlock("c1", "Run ls", """{"command":"ls"}"""), new ToolResultBlock("c1", "ls: no such file", true), new TextBlock("Second."),
                new TurnEnded(false, new TokenUsage(5, 6, 0, 0), null, Session, "end_turn", null, null, null),
            ],
            run.Events);
    }

    [Fact]
    public void A_tool_call_without_input_is_reported_when_it_finishes()
    {
        var run = new Run().Prompting()
            .Update("""{"sessionUpdate":"tool_call","toolCallId":"c2","title":"Think","kind":"think","status":"in_progress"}""")
            .Update("""{"sessionUpdate":"tool_call_update","toolCallId":"c2","status":"completed","rawOutput":{"ok":true}}""");

        Assert.Equal(new ToolUseBlock("c2", "Think", "{}"), Only<ToolUseBlock>(run));
        Assert.Equal(new ToolResultBlock("c2", """{"ok":true}""", false), Only<ToolResultBlock>(run));
    }

    [Theory]
    [InlineData("end_turn", false)]
    [InlineData("max_tokens", true)]
    [InlineData("max_turn_requests", true)]
    [InlineData("refusal", true)]
    [InlineData("cancelled", true)]
    public void The_stop_reason_decides_whether_the_turn_failed(string stopReason, bool isError)
    {
        var run = new Run().Prompting().Answer($$"""{"stopReason":"{{stopReason}}"}""");

        var end = Only<TurnEnded>(run);
        Assert.Equal((isError, stopReason), (end.IsError, end.Subtype));
    }

    [Theory]
    [InlineData("""[{"optionId":"yes","name":"Allow","kind":"allow_once"},{"optionId":"always","name":"Always","kind":"allow_always"},{"optionId":"no","name":"Reject","kind":"reject_once"}]""", "yes")]
    [InlineData("""[{"optionId":"no","name":"Reject","kind":"reject_once"},{"optionId":"always","name":"Always","kind":"allow_always"}]""", "always")]
    [InlineData("""[{"optionId":"no","name":"Reject","kind":"reject_once"}]""", null)]
    public void A_permission_request_is_answered_with_its_allow_option(string options, string? chosen)
    {
        var run = new Run().Prompting()
            .Feed($$$"""{"jsonrpc":"2.0","id":7,"method":"session/request_permission","params":{"sessionId":"{{{Session}}}","toolCall":{"toolCallId":"c1"},"options":{{{options}}}}}""");

        var answer = run.Sent[^1];
        Assert.Equal(7, (int)answer["id"]!);
        var outcome = answer["result"]!["outcome"]!;
        Assert.Equal(chosen is null ? "cancelled" : "selected", (string)outcome["outcome"]!);
        Assert.Equal(chosen, (string?)outcome["optionId"]);
        Assert.False(run.Conversation.Finished);
    }

    [Theory]
    [InlineData("""{"sessionCapabilities":{"close":{}}}""", true)]
    [InlineData("""{"sessionCapabilities":{"resume":{}}}""", false)]
    public void A_finished_session_is_closed_only_by_an_agent_that_offers_it(string capabilities, bool closes)
    {
        var run = new Run().Prompting(capabilities);
        Assert.Null(run.Conversation.CloseSession()); // not before the turn is over

        run.Answer("""{"stopReason":"end_turn"}""");

        var close = run.Conversation.CloseSession();
        Assert.Equal(closes, close is not null);
        if (close is not null)
        {
            var message = JsonNode.Parse(close.AsSpan(0, close.Length - 1))!;
            Assert.Equal(("session/close", Session), ((string?)message["method"], (string?)message["params"]!["sessionId"]));
        }
    }

    [Fact]
    public void A_message_written_during_a_turn_is_the_next_prompt_of_the_same_session()
    {
        var run = new Run().Prompting();
        Assert.True(run.Conversation.TryQueue(new AgentInputMessage("m-1", "Also update the README.")));

        run.Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"First done."}}""")
            .Answer("""{"stopReason":"end_turn"}""");

        Assert.False(run.Conversation.Finished);
        var next = run.Sent[^1];
        Assert.Equal(("session/prompt", Session, "Also update the README."),
            (Method(next), (string?)next["params"]!["sessionId"], (string?)next["params"]!["prompt"]![0]!["text"]));
        Assert.IsType<TurnEnded>(run.Events[^2]);
        Assert.Equal(new InputAccepted("m-1"), run.Events[^1]);

        run.Update("""{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"README updated."}}""")
            .Answer("""{"stopReason":"end_turn"}""");

        Assert.True(run.Conversation.Finished);
        Assert.Equal(2, run.Events.OfType<TurnEnded>().Count());
        Assert.Equal(2, run.Events.Count(e => e is TurnStarted));
        Assert.Equal([new TextBlock("First done."), new TextBlock("README updated.")], run.Events.OfType<TextBlock>());
        Assert.False(run.Conversation.TryQueue(new AgentInputMessage("m-2", "Too late.")));
    }

    [Fact]
    public void A_failed_turn_drops_queued_messages_for_the_next_launch()
    {
        var run = new Run().Prompting();
        Assert.True(run.Conversation.TryQueue(new AgentInputMessage("m-1", "More.")));

        run.AnswerError(-32603, "Internal error: API Error: Rate limit reached");

        Assert.True(run.Conversation.Finished);
        Assert.Empty(run.Events.OfType<InputAccepted>());
        Assert.Equal("session/prompt", Method(run.Sent[^1]));
        Assert.Single(run.Sent, m => Method(m) == "session/prompt");
    }

    [Fact]
    public void An_unknown_agent_request_gets_method_not_found_with_its_own_id()
    {
        var run = new Run().Prompting()
            .Feed("""{"jsonrpc":"2.0","id":"req-9","method":"fs/read_text_file","params":{"path":"/etc/passwd"}}""");

        var answer = run.Sent[^1];
        Assert.Equal("req-9", (string)answer["id"]!);
        Assert.Equal(AcpConversation.MethodNotFound, (int)answer["error"]!["code"]!);
    }

    [Theory]
    [InlineData("not json at all", LineReason.NotAnObject)]
    [InlineData("[1,2,3]", LineReason.NotAnObject)]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":", LineReason.Malformed)]
    [InlineData("{\"jsonrpc\":\"2.0\"} trailing", LineReason.Malformed)]
    [InlineData("{\"jsonrpc\":\"2.0\"}", LineReason.MissingType)]
    public void Garbage_is_skipped_and_the_dialogue_goes_on(string garbage, LineReason reason)
    {
        var run = new Run().Prompting().Feed(garbage);

        var result = run.Results[^1];
        Assert.Equal((LineOutcome.Skipped, reason), (result.Outcome, result.Reason));
        run.Answer("""{"stopReason":"end_turn"}""");
        Assert.False(Only<TurnEnded>(run).IsError);
    }

    [Fact]
    public void Answers_to_requests_never_sent_are_ignored()
    {
        var run = new Run().Feed("""{"jsonrpc":"2.0","id":42,"result":{"sessionId":"x"}}""");

        Assert.Equal(AcpPhase.Initializing, run.Conversation.Phase);
        Assert.Empty(run.Events);
    }

    [Fact]
    public void An_api_key_method_is_used_only_when_its_key_is_set()
    {
        const string Init = """{"protocolVersion":1,"agentCapabilities":{},"authMethods":[{"id":"oauth-personal","name":"Log in with Google"},{"id":"gemini-api-key","name":"Use Gemini API key"}]}""";
        var withKey = new Run(environment: new Dictionary<string, string?> { ["GEMINI_API_KEY"] = "k" }).Answer(Init);
        var withoutKey = new Run().Answer(Init);

        Assert.Equal("authenticate", Method(withKey.Sent[^1]));
        Assert.Equal("gemini-api-key", (string)withKey.Sent[^1]["params"]!["methodId"]!);
        withKey.Answer("{}");
        Assert.Equal("session/new", Method(withKey.Sent[^1]));
        Assert.Equal("session/new", Method(withoutKey.Sent[^1]));
    }

    [Fact]
    public void A_failed_authentication_ends_the_run()
    {
        var run = new Run(environment: new Dictionary<string, string?> { ["GEMINI_API_KEY"] = "k" })
            .Answer("""{"protocolVersion":1,"authMethods":[{"id":"gemini-api-key","name":"key"}]}""")
            .AnswerError(-32000, "Invalid API key");

        Assert.Equal("authentication_failed", Only<AgentError>(run).Code);
        Assert.True(run.Conversation.Failed);
    }

    [Fact]
    public void A_timeout_is_a_transient_failure_naming_what_was_awaited()
    {
        var run = new Run();
        run.Conversation.TimedOut(TimeSpan.FromSeconds(60), run.Events);

        var error = Only<AgentError>(run);
        Assert.Equal(ErrorClass.Transient, ProviderErrors.Classify(error.Code));
        Assert.Contains("initialize", error.Detail, StringComparison.Ordinal);
        Assert.True(run.Conversation.Failed);
    }
}
