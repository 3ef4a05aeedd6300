using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>The fake API on its own, driven over HTTP without the CLI.</summary>
public sealed class FakeAnthropicServerTests
{
    private static readonly JsonArray OneTool = [new JsonObject { ["name"] = "Bash", ["input_schema"] = new JsonObject() }];

    [Fact]
    public async Task A_streaming_call_gets_the_sse_event_sequence_of_the_scripted_message()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = await FakeAnthropicServer.StartAsync(ct);
        api.Enqueue(FakeReply.Message(new FakeThinkingBlock("hmm"), new FakeToolUseBlock("toolu_1", "Bash", new JsonObject { ["command"] = "ak task claim --quiet" })));
        using var http = new HttpClient();

        using var response = await PostAsync(http, api, stream: true, tools: true, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var frames = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('\n'))
            .Select(lines => (Event: lines[0]["event: ".Length..], Data: JsonNode.Parse(lines[1]["data: ".Length..])!))
            .ToList();
        Assert.All(frames, f => Assert.Equal(f.Event, (string?)f.Data["type"]));
        Assert.Equal("message_start", frames[0].Event);
        Assert.Equal("claude-test", (string?)frames[0].Data["message"]?["model"]);
        Assert.Equal(["message_delta", "message_stop"], frames[^2..].Select(f => f.Event));
        Assert.Equal("tool_use", (string?)frames[^2].Data["delta"]?["stop_reason"]);
        Assert.Equal(FakeUsage.Default.OutputTokens, (int?)frames[^2].Data["usage"]?["output_tokens"]);

        var deltas = frames.Where(f => f.Event == "content_block_delta").Select(f => f.Data["delta"]!).ToList();
        Assert.Equal(["thinking_delta", "signature_delta"], deltas.Take(2).Select(d => (string?)d["type"]));
        var input = string.Concat(deltas.Where(d => (string?)d["type"] == "input_json_delta").Select(d => (string?)d["partial_json"]));
        Assert.True(deltas.Count(d => (string?)d["type"] == "input_json_delta") > 1);
        Assert.Equal("ak task claim --quiet", (string?)JsonNode.Parse(input)?["command"]);
    }

    [Fact]
    public async Task A_non_streaming_call_gets_one_json_message()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = await FakeAnthropicServer.StartAsync(ct);
        api.Enqueue(FakeReply.Text("plain"));
        using var http = new HttpClient();

        using var response = await PostAsync(http, api, stream: false, tools: true, ct);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("end_turn", (string?)message["stop_reason"]);
        Assert.Equal("plain", (string?)message["content"]?[0]?["text"]);
        Assert.Equal(FakeUsage.Default.InputTokens, (int?)message["usage"]?["input_tokens"]);
    }

    [Fact]
    public async Task Calls_without_tools_are_answered_without_consuming_the_script()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = await FakeAnthropicServer.StartAsync(ct);
        api.Enqueue(FakeReply.Text("scripted"));
        using var http = new HttpClient();

        using var auxiliary = await PostAsync(http, api, stream: false, tools: false, ct);
        using var agent = await PostAsync(http, api, stream: false, tools: true, ct);
        using var overrun = await PostAsync(http, api, stream: false, tools: true, ct);

        Assert.Equal("ok", await TextOf(auxiliary, ct));
        Assert.Equal("scripted", await TextOf(agent, ct));
        Assert.Equal("Done.", await TextOf(overrun, ct));
        Assert.Equal(2, api.ModelRequests.Count);
        Assert.Equal(3, api.Requests.Count);
    }

    [Fact]
    public async Task The_responder_comes_before_the_queue_and_errors_carry_their_headers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = await FakeAnthropicServer.StartAsync(ct);
        var reset = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        api.Enqueue(FakeReply.Text("queued"));
        api.Respond(r => r.SessionId == "limited" ? FakeReply.RateLimited(reset, overageStatus: "rejected") : null);
        using var http = new HttpClient();

        using var limited = await PostAsync(http, api, stream: true, tools: true, ct, sessionId: "limited");
        using var other = await PostAsync(http, api, stream: false, tools: true, ct, sessionId: "other");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("rejected", limited.Headers.GetValues("anthropic-ratelimit-unified-status").Single());
        Assert.Equal("1893456000", limited.Headers.GetValues("anthropic-ratelimit-unified-reset").Single());
        Assert.Equal("five_hour", limited.Headers.GetValues("anthropic-ratelimit-unified-representative-claim").Single());
        Assert.Equal("rejected", limited.Headers.GetValues("anthropic-ratelimit-unified-overage-status").Single());
        Assert.Equal("rate_limit_error", (string?)JsonNode.Parse(await limited.Content.ReadAsStringAsync(ct))?["error"]?["type"]);
        Assert.Equal("queued", await TextOf(other, ct));
    }

    [Fact]
    public async Task Unknown_paths_get_a_404_error_and_are_logged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = await FakeAnthropicServer.StartAsync(ct);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(api.BaseUrl, "/v1/models?limit=1"), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["error"]?["type"]);
        var logged = Assert.Single(api.Requests);
        Assert.Equal(("GET", "/v1/models", "?limit=1"), (logged.Method, logged.Path, logged.Query));
    }

    [Fact]
    public async Task A_waiter_sees_a_later_request_and_a_hanging_reply_ends_when_the_server_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        var api = await FakeAnthropicServer.StartAsync(ct);
        api.Enqueue(FakeReply.Hang());
        using var http = new HttpClient();
        var waiting = api.WaitForRequestAsync(r => r.SessionId == "s-1", ct);

        var hanging = PostAsync(http, api, stream: true, tools: true, ct, sessionId: "s-1");
        var seen = await waiting;
        await api.DisposeAsync();

        Assert.Equal("s-1", seen.SessionId);
        Assert.Equal("Say hi", seen.LastUserText);
        await Assert.ThrowsAsync<HttpRequestException>(() => hanging);
    }

    private static async Task<HttpResponseMessage> PostAsync(
        HttpClient http, FakeAnthropicServer api, bool stream, bool tools, CancellationToken ct, string sessionId = "s-0")
    {
        var request = new JsonObject
        {
            ["model"] = "claude-test",
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hi" }),
        };
        if (tools)
        {
            request["tools"] = OneTool.DeepClone();
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(api.BaseUrl, "/v1/messages?beta=true"))
        {
            Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Add("x-claude-code-session-id", sessionId);
        return await http.SendAsync(message, ct);
    }

    private static async Task<string?> TextOf(HttpResponseMessage response, CancellationToken ct) =>
        (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["content"]?[0]?["text"];
}
