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

namespace AgentKanban.IntegrationTests.FakeOpenAiResponses;

/// <summary>
/// A loopback fake of the OpenAI Responses API (<c>POST /v1/responses</c>, streamed as SSE) that the tests own, for the
/// real Codex CLI: point it here with a <c>config.toml</c> provider (<see cref="CodexConfigToml"/>); Codex 0.169.0 does
/// not follow <c>OPENAI_BASE_URL</c>. Each call gets the reply of the first source that has one: the
/// <see cref="Respond"/> function, then the <see cref="Enqueue"/> queue, then <see cref="DefaultReply"/>. Every request
/// is recorded with its headers (Codex's <c>session-id</c> names the thread).
/// </summary>
public sealed class FakeResponsesServer : IAsyncDisposable
{
    /// <summary>The model the fake's config names: one in Codex's bundled catalog (others raise a non-fatal error item).</summary>
    public const string Model = "gpt-5.5";

    /// <summary>The variable the fake provider takes its key from (any value).</summary>
    public const string KeyVariable = "FAKE_OPENAI_KEY";

    private readonly Lock _gate = new();
    private readonly List<ResponsesRequest> _requests = [];
    private readonly Queue<ResponsesReply> _script = new();
    private readonly List<(Func<ResponsesRequest, bool> Predicate, TaskCompletionSource<ResponsesRequest> Waiter)> _waiters = [];
    private WebApplication? _app;
    private Func<ResponsesRequest, ResponsesReply?>? _responder;
    private int _responseCount;

    private FakeResponsesServer()
    {
    }

    /// <summary>The root URL, e.g. <c>http://127.0.0.1:40123</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public ResponsesReply DefaultReply { get; set; } = ResponsesReply.Text("Done.");

    /// <summary>A snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<ResponsesRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The model calls (<c>POST /v1/responses</c>), in arrival order.</summary>
    public IReadOnlyList<ResponsesRequest> ModelRequests => Requests.Where(r => r.IsResponses).ToList();

    /// <summary>
    /// The <c>config.toml</c> that makes Codex use this fake: the model and a <c>responses</c> provider whose key is
    /// read from <see cref="KeyVariable"/>.
    /// </summary>
    public string CodexConfigToml() => $"""
        model = "{Model}"
        model_provider = "fake"

        [model_providers.fake]
        name = "Fake"
        base_url = "{BaseUrl.GetLeftPart(UriPartial.Authority)}/v1"
        wire_api = "responses"
        env_key = "{KeyVariable}"
        """;

    public static async Task<FakeResponsesServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeResponsesServer();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Appends replies for the next model calls, in order.</summary>
    public void Enqueue(params ResponsesReply[] replies)
    {
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _script.Enqueue(reply);
            }
        }
    }

    /// <summary>Sets a function consulted first for every model call; null falls through to the queue.</summary>
    public void Respond(Func<ResponsesRequest, ResponsesReply?> responder)
    {
        lock (_gate)
        {
            _responder = responder;
        }
    }

    /// <summary>Completes with the first request (past or future) that matches.</summary>
    public Task<ResponsesRequest> WaitForRequestAsync(Func<ResponsesRequest, bool> predicate, CancellationToken cancellationToken)
    {
        TaskCompletionSource<ResponsesRequest> waiter;
        lock (_gate)
        {
            var seen = _requests.FirstOrDefault(predicate);
            if (seen is not null)
            {
                return Task.FromResult(seen);
            }

            waiter = new TaskCompletionSource<ResponsesRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((predicate, waiter));
        }

        return waiter.Task.WaitAsync(cancellationToken);
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
        var aborted = context.RequestAborted;
        if (!request.IsResponses)
        {
            await WriteJsonAsync(context.Response, 404,
                new JsonObject { ["error"] = new JsonObject { ["type"] = "not_found", ["message"] = $"The fake has no {request.Method} {request.Path}." } }, aborted);
            return;
        }

        var reply = NextReply(request);
        foreach (var (name, value) in reply.Headers)
        {
            context.Response.Headers[name] = value;
        }

        switch (reply)
        {
            case ResponsesOutputReply output:
                await WriteStreamAsync(context.Response, output, $"resp_fake_{Interlocked.Increment(ref _responseCount)}", aborted);
                break;
            case ResponsesErrorReply error:
                await WriteJsonAsync(context.Response, error.StatusCode, error.Body, aborted);
                break;
            default:
                throw new InvalidOperationException($"Unknown reply {reply}.");
        }
    }

    private async Task<ResponsesRequest> RecordAsync(HttpRequest http)
    {
        using var reader = new StreamReader(http.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.HttpContext.RequestAborted);
        var headers = http.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        List<TaskCompletionSource<ResponsesRequest>> ready;
        ResponsesRequest request;
        lock (_gate)
        {
            request = new ResponsesRequest(_requests.Count, http.Method, http.Path.Value ?? "", headers, body) { ReceivedAt = TimeProvider.System.GetUtcNow() };
            _requests.Add(request);
            ready = [.. _waiters.Where(w => w.Predicate(request)).Select(w => w.Waiter)];
            _waiters.RemoveAll(w => ready.Contains(w.Waiter));
        }

        foreach (var waiter in ready)
        {
            waiter.TrySetResult(request);
        }

        return request;
    }

    private ResponsesReply NextReply(ResponsesRequest request)
    {
        lock (_gate)
        {
            return _responder?.Invoke(request) ?? (_script.TryDequeue(out var scripted) ? scripted : DefaultReply);
        }
    }

    private static async Task WriteStreamAsync(HttpResponse response, ResponsesOutputReply reply, string id, CancellationToken aborted)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await WriteEventAsync(response, new JsonObject
        {
            ["type"] = "response.created",
            ["response"] = new JsonObject { ["id"] = id, ["status"] = "in_progress" },
        }, aborted);
        foreach (var (item, index) in reply.Items.Select((item, index) => (item, index)))
        {
            await WriteEventAsync(response, new JsonObject
            {
                ["type"] = "response.output_item.done",
                ["output_index"] = index,
                ["item"] = item.Json.DeepClone(),
            }, aborted);
        }

        var usage = reply.Usage;
        await WriteEventAsync(response, new JsonObject
        {
            ["type"] = "response.completed",
            ["response"] = new JsonObject
            {
                ["id"] = id,
                ["status"] = "completed",
                ["usage"] = new JsonObject
                {
                    ["input_tokens"] = usage.InputTokens,
                    ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens },
                    ["output_tokens"] = usage.OutputTokens,
                    ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = usage.ReasoningTokens },
                    ["total_tokens"] = usage.InputTokens + usage.OutputTokens,
                },
            },
        }, aborted);
    }

    private static async Task WriteEventAsync(HttpResponse response, JsonObject data, CancellationToken aborted)
    {
        // SSE frame: the event name repeats the payload's type, as the real API does.
        await response.WriteAsync($"event: {(string?)data["type"]}\ndata: {data.ToJsonString()}\n\n", aborted);
        await response.Body.FlushAsync(aborted);
    }

    private static async Task WriteJsonAsync(HttpResponse response, int statusCode, JsonObject body, CancellationToken aborted)
    {
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(), aborted);
    }
}
