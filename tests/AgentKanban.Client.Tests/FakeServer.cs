using System.Net;
using System.Text;

namespace AgentKanban.Client.Tests;

/// <summary>A transport that answers from a function and records what was sent (body read before the answer).</summary>
internal sealed class FakeServer : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> _answer;

    public FakeServer(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) => _answer = answer;

    public FakeServer(Func<HttpRequestMessage, HttpResponseMessage> answer)
        : this((request, _) => Task.FromResult(answer(request)))
    {
    }

    public List<Sent> Requests { get; } = [];

    public Sent Last => Requests[^1];

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string? reason = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (reason is not null)
        {
            response.ReasonPhrase = reason;
        }

        return response;
    }

    public static HttpResponseMessage Error(HttpStatusCode status, string code, string message, string? field = null) =>
        Json(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\""
            + (field is null ? "" : ",\"field\":\"" + field + "\"") + "}}");

    public static HttpResponseMessage EventStream(Stream body)
    {
        var content = new StreamContent(body);
        content.Headers.ContentType = new("text/event-stream");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    public static HttpResponseMessage EventStream(string text) => EventStream(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add(new Sent(
            request.Method.Method,
            request.RequestUri!.PathAndQuery,
            request.Headers.Authorization?.ToString(),
            request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null,
            request.Headers.TryGetValues("Last-Event-ID", out var ids) ? ids.Single() : null,
            request.Headers.UserAgent.ToString(),
            request.Headers.Accept.ToString(),
            body));
        var response = await _answer(request, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }

    internal sealed record Sent(
        string Method, string PathAndQuery, string? Authorization, string? IdempotencyKey, string? LastEventId, string UserAgent, string Accept, string? Body);
}
