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

namespace AgentKanban.IntegrationTests.FakeGemini;

/// <summary>
/// A loopback fake of the Gemini API (<c>generativelanguage</c> v1beta) that the tests own. Point the CLI at
/// <see cref="BaseUrl"/> through <c>GOOGLE_GEMINI_BASE_URL</c> (with <c>selectedType: gemini-api-key</c> in its
/// settings). Model calls are <c>POST /v1beta/models/{model}:streamGenerateContent?alt=sse</c>; each is answered by the
/// <see cref="Respond"/> function, then the <see cref="Enqueue"/> queue, then <see cref="DefaultReply"/>, streamed as
/// SSE chunks of <c>{candidates:[{content:{role:"model",parts}}],usageMetadata}</c>. A non-streaming
/// <c>:generateContent</c> (the CLI's helpers, such as model routing) gets a short JSON answer and uses no script.
/// </summary>
public sealed class FakeGeminiServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<RecordedGeminiRequest> _requests = [];
    private readonly Queue<GeminiReply> _script = new();
    private readonly List<(Func<RecordedGeminiRequest, bool> Predicate, TaskCompletionSource<RecordedGeminiRequest> Waiter)> _waiters = [];
    private WebApplication? _app;
    private Func<RecordedGeminiRequest, GeminiReply?>? _responder;

    private FakeGeminiServer()
    {
    }

    /// <summary>The root URL, e.g. <c>http://127.0.0.1:40123</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = null!;

    public GeminiReply DefaultReply { get; set; } = GeminiReply.Text("Done.");

    /// <summary>Every model call so far (streaming or not), in arrival order.</summary>
    public IReadOnlyList<RecordedGeminiRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The agent-loop calls (<c>streamGenerateContent</c>), in arrival order.</summary>
    public IReadOnlyList<RecordedGeminiRequest> ModelRequests => Requests.Where(r => r.Streaming).ToList();

    public static async Task<FakeGeminiServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeGeminiServer();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server._app = app;
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return server;
    }

    public void Enqueue(params GeminiReply[] replies)
    {
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _script.Enqueue(reply);
            }
        }
    }

    /// <summary>A function consulted first for every agent-loop call; null falls through to the queue.</summary>
    public void Respond(Func<RecordedGeminiRequest, GeminiReply?> responder)
    {
        lock (_gate)
        {
            _responder = responder;
        }
    }

    /// <summary>Completes with the first model call (past or future) that matches.</summary>
    public Task<RecordedGeminiRequest> WaitForRequestAsync(Func<RecordedGeminiRequest, bool> predicate, CancellationToken cancellationToken)
    {
        TaskCompletionSource<RecordedGeminiRequest> waiter;
        lock (_gate)
        {
            if (_requests.FirstOrDefault(predicate) is { } seen)
            {
                return Task.FromResult(seen);
            }

            waiter = new TaskCompletionSource<RecordedGeminiRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
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
        var http = context.Request;
        var aborted = context.RequestAborted;
        var path = http.Path.Value ?? "";
        const string Prefix = "/v1beta/models/";
        var colon = path.LastIndexOf(':');
        if (http.Method != "POST" || !path.StartsWith(Prefix, StringComparison.Ordinal) || colon < Prefix.Length)
        {
            await WriteJsonAsync(context.Response, 404, Error(404, $"The fake API has no {http.Method} {path}.", "NOT_FOUND"), aborted);
            return;
        }

        var method = path[(colon + 1)..];
        using var bodyReader = new StreamReader(http.Body, Encoding.UTF8);
        var request = Record(new RecordedGeminiRequest(0, path + http.QueryString, path[Prefix.Length..colon], method == "streamGenerateContent",
            http.Headers["x-goog-api-key"].FirstOrDefault(), await bodyReader.ReadToEndAsync(aborted)));

        if (!request.Streaming)
        {
            // Helper calls (routing, summaries) are not part of the conversation: a plain answer, no script used.
            await WriteJsonAsync(context.Response, 200, Chunk(new GeminiModelReply("{}", null), [new JsonObject { ["text"] = "{}" }], last: true), aborted);
            return;
        }

        switch (NextReply(request))
        {
            case GeminiErrorReply error:
                await WriteJsonAsync(context.Response, error.StatusCode, error.Body.DeepClone().AsObject(), aborted);
                break;
            case GeminiModelReply reply:
                await WriteStreamAsync(context.Response, reply, aborted);
                break;
        }
    }

    private RecordedGeminiRequest Record(RecordedGeminiRequest unnumbered)
    {
        List<TaskCompletionSource<RecordedGeminiRequest>> ready;
        RecordedGeminiRequest request;
        lock (_gate)
        {
            request = unnumbered with { Sequence = _requests.Count, ReceivedAt = TimeProvider.System.GetUtcNow() };
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

    private GeminiReply NextReply(RecordedGeminiRequest request)
    {
        lock (_gate)
        {
            return _responder?.Invoke(request) ?? (_script.TryDequeue(out var scripted) ? scripted : DefaultReply);
        }
    }

    private static async Task WriteStreamAsync(HttpResponse response, GeminiModelReply reply, CancellationToken aborted)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var chunks = new List<JsonObject>();
        var words = Pieces(reply.Content);
        for (var i = 0; i < words.Count; i++)
        {
            var last = i == words.Count - 1 && reply.FunctionCall is null;
            chunks.Add(Chunk(reply, [new JsonObject { ["text"] = words[i] }], last));
        }

        if (reply.FunctionCall is { } call)
        {
            chunks.Add(Chunk(reply, [new JsonObject { ["functionCall"] = call.DeepClone() }], last: true));
        }

        foreach (var chunk in chunks)
        {
            await response.WriteAsync($"data: {chunk.ToJsonString()}\r\n\r\n", aborted);
            await response.Body.FlushAsync(aborted);
        }
    }

    /// <summary>The text in up to three pieces, so the CLI streams it as several deltas.</summary>
    private static List<string> Pieces(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var third = Math.Max(1, text.Length / 3);
        var pieces = new List<string>();
        for (var at = 0; at < text.Length; at += third)
        {
            pieces.Add(pieces.Count == 2 ? text[at..] : text.Substring(at, Math.Min(third, text.Length - at)));
            if (pieces.Count == 3)
            {
                break;
            }
        }

        return pieces;
    }

    private static JsonObject Chunk(GeminiModelReply reply, JsonArray parts, bool last)
    {
        var candidate = new JsonObject { ["content"] = new JsonObject { ["role"] = "model", ["parts"] = parts }, ["index"] = 0 };
        var chunk = new JsonObject { ["candidates"] = new JsonArray { candidate } };
        if (last)
        {
            candidate["finishReason"] = "STOP";
            chunk["usageMetadata"] = new JsonObject
            {
                ["promptTokenCount"] = reply.PromptTokens,
                ["candidatesTokenCount"] = reply.OutputTokens,
                ["totalTokenCount"] = reply.PromptTokens + reply.OutputTokens,
                ["cachedContentTokenCount"] = reply.CachedTokens,
            };
        }

        return chunk;
    }

    private static JsonObject Error(int code, string message, string status) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status } };

    private static async Task WriteJsonAsync(HttpResponse response, int statusCode, JsonObject body, CancellationToken aborted)
    {
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(), aborted);
    }
}
