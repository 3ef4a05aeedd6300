using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentKanban.IntegrationTests.FakeChatCompletions;

/// <summary>
/// A loopback fake of the OpenAI Chat Completions API that the tests own, for CLIs that take a provider of one's own
/// (GitHub Copilot CLI with <c>COPILOT_PROVIDER_BASE_URL=</c><see cref="ApiBaseUrl"/>). <c>POST /v1/chat/completions</c>
/// streams its answer as server-sent events the way OpenAI does: content deltas, or a tool call whose arguments arrive
/// in a second delta, the finish reason, a usage chunk (the CLI asks for one with <c>stream_options.include_usage</c>),
/// then <c>data: [DONE]</c>. A rate-limited call is a 429 with <c>retry-after</c>.
/// <para>
/// Each call gets the reply of the first source that has one: the <see cref="Respond"/> function, then the
/// <see cref="Enqueue"/> queue, then <see cref="DefaultReply"/>. Every request is recorded, so a test can see the
/// conversation a resumed run sends again.
/// </para>
/// </summary>
public sealed class FakeChatCompletionsServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ChatRequest> _requests = [];
    private readonly Queue<ChatReply> _script = new();
    private WebApplication? _app;
    private Func<ChatRequest, ChatReply?>? _responder;
    private int _completions;

    private FakeChatCompletionsServer()
    {
    }

    /// <summary>The root URL, e.g. <c>http://127.0.0.1:40123</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The OpenAI-style base URL, <see cref="BaseUrl"/> + <c>/v1</c>.</summary>
    public string ApiBaseUrl => BaseUrl + "/v1";

    /// <summary>The model the fake reports in its chunks.</summary>
    public string Model { get; set; } = "gpt-5.4";

    /// <summary>The reply when neither the responder nor the queue has one.</summary>
    public ChatReply DefaultReply { get; set; } = ChatReply.Text("Done.");

    /// <summary>A snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<ChatRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The model calls, in arrival order.</summary>
    public IReadOnlyList<ChatRequest> ChatRequests => Requests.Where(r => r.IsChat).ToList();

    public static async Task<FakeChatCompletionsServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeChatCompletionsServer();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        return server;
    }

    /// <summary>Appends replies for the next calls, in order.</summary>
    public void Enqueue(params ChatReply[] replies)
    {
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _script.Enqueue(reply);
            }
        }
    }

    /// <summary>Sets a function consulted first for every call (null from it falls through to the queue).</summary>
    public void Respond(Func<ChatRequest, ChatReply?>? responder)
    {
        lock (_gate)
        {
            _responder = responder;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = await RecordAsync(context.Request);
        var response = context.Response;
        var aborted = context.RequestAborted;
        if (request.IsChat)
        {
            await AnswerAsync(request, response, aborted);
        }
        else if (request.Method == "GET" && request.Path == "/v1/models")
        {
            var models = new JsonObject { ["object"] = "list", ["data"] = new JsonArray(new JsonObject { ["id"] = Model, ["object"] = "model" }) };
            await WriteJsonAsync(response, 200, models, aborted);
        }
        else
        {
            await WriteJsonAsync(response, 404, ErrorBody("not_found", $"The fake API has no {request.Method} {request.Path}."), aborted);
        }
    }

    private async Task<ChatRequest> RecordAsync(HttpRequest http)
    {
        using var reader = new StreamReader(http.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.HttpContext.RequestAborted);
        var headers = http.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        lock (_gate)
        {
            var request = new ChatRequest(_requests.Count, TimeProvider.System.GetUtcNow(), http.Method, http.Path.Value ?? "", headers, body);
            _requests.Add(request);
            return request;
        }
    }

    private ChatReply NextReply(ChatRequest request)
    {
        lock (_gate)
        {
            return _responder?.Invoke(request) ?? (_script.TryDequeue(out var scripted) ? scripted : DefaultReply);
        }
    }

    private async Task AnswerAsync(ChatRequest request, HttpResponse response, CancellationToken aborted)
    {
        var reply = NextReply(request);
        if (reply is ChatRateLimitedReply limited)
        {
            response.Headers["retry-after"] = limited.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteJsonAsync(response, 429, ErrorBody("rate_limit_exceeded", "Rate limit reached for requests"), aborted);
            return;
        }

        var id = "chatcmpl-fake-" + Interlocked.Increment(ref _completions);
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        foreach (var chunk in Chunks(reply, id))
        {
            await response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", aborted);
            await response.Body.FlushAsync(aborted);
        }

        await response.WriteAsync("data: [DONE]\n\n", aborted);
    }

    private IEnumerable<JsonObject> Chunks(ChatReply reply, string id)
    {
        var created = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        JsonObject Chunk(JsonObject? delta, string? finish, ChatUsage? usage = null)
        {
            var chunk = new JsonObject { ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = Model };
            chunk["choices"] = delta is null
                ? new JsonArray()
                : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish });
            if (usage is not null)
            {
                chunk["usage"] = new JsonObject
                {
                    ["prompt_tokens"] = usage.PromptTokens,
                    ["completion_tokens"] = usage.CompletionTokens,
                    ["total_tokens"] = usage.PromptTokens + usage.CompletionTokens,
                    ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens },
                };
            }

            return chunk;
        }

        switch (reply)
        {
            case ChatTextReply text:
                // Two content deltas, as a streaming model sends them.
                var half = text.Content.Length / 2;
                yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = text.Content[..half] }, null);
                yield return Chunk(new JsonObject { ["content"] = text.Content[half..] }, null);
                yield return Chunk(new JsonObject(), "stop");
                yield return Chunk(null, null, text.Usage);
                break;
            case ChatToolReply tool:
                yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = tool.Content }, null);
                yield return Chunk(new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0, ["id"] = tool.CallId, ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = tool.Tool, ["arguments"] = "" },
                    }),
                }, null);
                var arguments = new JsonObject { ["command"] = tool.Command, ["description"] = "Run the command" }.ToJsonString();
                yield return Chunk(new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = arguments } }),
                }, null);
                yield return Chunk(new JsonObject(), "tool_calls");
                yield return Chunk(null, null, tool.Usage);
                break;
            default:
                throw new InvalidOperationException($"Unknown reply {reply}.");
        }
    }

    private static JsonObject ErrorBody(string type, string message) =>
        new() { ["error"] = new JsonObject { ["message"] = message, ["type"] = type } };

    private static async Task WriteJsonAsync(HttpResponse response, int statusCode, JsonObject body, CancellationToken aborted)
    {
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(), aborted);
    }
}
