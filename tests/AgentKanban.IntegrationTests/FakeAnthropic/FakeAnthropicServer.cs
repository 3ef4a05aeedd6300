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

namespace AgentKanban.IntegrationTests.FakeAnthropic;

/// <summary>
/// A loopback fake of the Anthropic Messages API that the tests own. Point the CLI at
/// <see cref="BaseUrl"/> through <c>ANTHROPIC_BASE_URL</c>.
/// <para>
/// Each agent-loop call (<c>POST /v1/messages</c> with tools) gets the reply of the first source that has
/// one: the <see cref="Respond"/> function, then the <see cref="Enqueue"/> queue, then
/// <see cref="DefaultReply"/> (a final text, so a run that outlives its script still ends).
/// Auxiliary calls without tools get <see cref="AuxiliaryReply"/> and never consume the script.
/// Observed with <c>CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1</c> (2.1.330): the CLI sends nothing but
/// streaming <c>POST /v1/messages?beta=true</c> calls with tools; without that variable it first sends
/// <c>HEAD /api/hello</c> (a connectivity probe, answered 200 here).
/// </para>
/// </summary>
public sealed class FakeAnthropicServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Queue<FakeReply> _script = new();
    private readonly List<(Func<RecordedRequest, bool> Predicate, TaskCompletionSource<RecordedRequest> Waiter)> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private Func<RecordedRequest, FakeReply?>? _responder;
    private int _messageCount;

    private FakeAnthropicServer()
    {
    }

    /// <summary>The root URL, e.g. <c>http://127.0.0.1:40123</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The reply for an agent-loop call when neither the responder nor the queue has one.</summary>
    public FakeReply DefaultReply { get; set; } = FakeReply.Text("Done.");

    /// <summary>The reply for model calls without tools (auxiliary helpers of the CLI).</summary>
    public FakeReply AuxiliaryReply { get; set; } = FakeReply.Text("ok");

    /// <summary>A snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The agent-loop model calls (<c>POST /v1/messages</c> with tools), in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> ModelRequests => Requests.Where(r => r.IsMessages && r.HasTools).ToList();

    public static async Task<FakeAnthropicServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeAnthropicServer();
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

    /// <summary>Appends replies for the next agent-loop calls, in order.</summary>
    public void Enqueue(params FakeReply[] replies)
    {
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _script.Enqueue(reply);
            }
        }
    }

    /// <summary>
    /// Sets a function consulted first for every agent-loop call (e.g. route by
    /// <see cref="RecordedRequest.SessionId"/> when several agents share one server); null falls through
    /// to the queue.
    /// </summary>
    public void Respond(Func<RecordedRequest, FakeReply?> responder)
    {
        lock (_gate)
        {
            _responder = responder;
        }
    }

    /// <summary>Completes with the first request (past or future) that matches.</summary>
    public Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> predicate, CancellationToken cancellationToken)
    {
        TaskCompletionSource<RecordedRequest> waiter;
        lock (_gate)
        {
            var seen = _requests.FirstOrDefault(predicate);
            if (seen is not null)
            {
                return Task.FromResult(seen);
            }

            waiter = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((predicate, waiter));
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = await RecordAsync(context.Request);
        var response = context.Response;

        if (request.IsMessages)
        {
            await AnswerMessagesAsync(request, response, context.RequestAborted);
        }
        else if (request.Method == "POST" && request.Path == "/v1/messages/count_tokens")
        {
            await WriteJsonAsync(response, 200, new JsonObject { ["input_tokens"] = 1 }, context.RequestAborted);
        }
        else if (request.Path == "/api/hello")
        {
            response.StatusCode = 200;
        }
        else
        {
            var body = MessageEncoder.ErrorBody("not_found_error", $"The fake API has no {request.Method} {request.Path}.");
            await WriteJsonAsync(response, 404, body, context.RequestAborted);
        }
    }

    private async Task<RecordedRequest> RecordAsync(HttpRequest http)
    {
        using var reader = new StreamReader(http.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(http.HttpContext.RequestAborted);
        var headers = http.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

        List<TaskCompletionSource<RecordedRequest>> ready;
        RecordedRequest request;
        lock (_gate)
        {
            request = new RecordedRequest(_requests.Count, http.Method, http.Path.Value ?? "", http.QueryString.Value ?? "", headers, body)
            {
                ReceivedAt = TimeProvider.System.GetUtcNow(),
            };
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

    private FakeReply NextReply(RecordedRequest request)
    {
        lock (_gate)
        {
            if (!request.HasTools)
            {
                return AuxiliaryReply;
            }

            return _responder?.Invoke(request)
                ?? (_script.TryDequeue(out var scripted) ? scripted : DefaultReply);
        }
    }

    private async Task AnswerMessagesAsync(RecordedRequest request, HttpResponse response, CancellationToken aborted)
    {
        var reply = NextReply(request);
        foreach (var (name, value) in reply.Headers)
        {
            response.Headers[name] = value;
        }

        response.Headers["request-id"] = $"req_fake_{request.Sequence}";
        var model = request.Model ?? "claude-fake";
        var messageId = $"msg_fake_{Interlocked.Increment(ref _messageCount)}";

        switch (reply)
        {
            case FakeMessageReply message when request.IsStreaming:
                await WriteStreamAsync(response, message, messageId, model, aborted);
                break;
            case FakeMessageReply message:
                await WriteJsonAsync(response, 200, MessageEncoder.WholeMessage(message, messageId, model), aborted);
                break;
            case FakeErrorReply error:
                await WriteJsonAsync(response, error.StatusCode, MessageEncoder.ErrorBody(error.ErrorType, error.ErrorMessage), aborted);
                break;
            case FakeHangReply:
                await HangAsync(response.HttpContext);
                break;
            default:
                throw new InvalidOperationException($"Unknown reply {reply}.");
        }
    }

    private async Task HangAsync(HttpContext context)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
            // The client hung up or the server is stopping; either way the client must not see an answer.
            context.Abort();
        }
    }

    private static async Task WriteStreamAsync(HttpResponse response, FakeMessageReply reply, string messageId, string model, CancellationToken aborted)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        foreach (var data in MessageEncoder.StreamEvents(reply, messageId, model))
        {
            // SSE frame: the event name repeats the payload's type, as the real API does.
            await response.WriteAsync($"event: {(string?)data["type"]}\ndata: {data.ToJsonString()}\n\n", aborted);
            await response.Body.FlushAsync(aborted);
        }
    }

    private static async Task WriteJsonAsync(HttpResponse response, int statusCode, JsonObject body, CancellationToken aborted)
    {
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(), aborted);
    }
}
