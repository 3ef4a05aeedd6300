using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Api;

/// <summary>
/// Typed HTTP client over the board API (docs/API.md). Every error answer becomes an <see cref="ApiException"/>
/// carrying the server's message; no answer at all becomes a <see cref="ServerUnreachableException"/>.
/// </summary>
public sealed partial class AkApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly RequestAuthenticator _auth;

    /// <param name="handler">A transport to use instead of a new socket handler; it is not disposed with the client.</param>
    public AkApiClient(string serverUrl, RequestAuthenticator auth, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        ArgumentNullException.ThrowIfNull(auth);
        ServerUrl = serverUrl.TrimEnd('/');
        _auth = auth;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: handler is null)
        {
            // Relative paths below have no leading slash so a server mounted under a path prefix still works.
            BaseAddress = new Uri(ServerUrl + "/"),
            // Streams (ak wait) run for as long as the user asks; each ordinary call has its own deadline below.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ak", CliVersion.Short));
    }

    /// <summary>The server's base URL without a trailing slash.</summary>
    public string ServerUrl { get; }

    public void Dispose()
    {
        _http.Dispose();
        _auth.Dispose();
    }

    private Task<T> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, path, null, answer, ct);

    private Task<TAnswer> PostAsync<TBody, TAnswer>(string path, TBody body, JsonTypeInfo<TBody> bodyInfo, JsonTypeInfo<TAnswer> answer, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, JsonContent.Create(body, bodyInfo), answer, ct);

    private Task<TAnswer> PatchAsync<TBody, TAnswer>(string path, TBody body, JsonTypeInfo<TBody> bodyInfo, JsonTypeInfo<TAnswer> answer, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, path, JsonContent.Create(body, bodyInfo), answer, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> answer, CancellationToken ct)
    {
        using var response = await SendCheckedAsync(method, path, content, ct);
        try
        {
            return await response.Content.ReadFromJsonAsync(answer, ct)
                ?? throw new CliFailureException($"the server sent an empty answer to {method} /{path}");
        }
        catch (JsonException e)
        {
            throw new CliFailureException($"the server's answer to {method} /{path} is not what this ak expects ({e.Message})", e);
        }
    }

    private async Task SendWithoutAnswerAsync(HttpMethod method, string path, CancellationToken ct)
    {
        using var response = await SendCheckedAsync(method, path, null, ct);
    }

    private async Task<HttpResponseMessage> SendCheckedAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(RequestTimeout);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token, ct);
        try
        {
            await ThrowIfErrorAsync(response, ct, _auth.Describe());
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Sends with credentials; maps transport failures to a clear "cannot reach server" message.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(
        HttpRequestMessage request, HttpCompletionOption completion, CancellationToken token, CancellationToken callerToken)
    {
        if (_auth.NextBearer() is { } bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        try
        {
            return await _http.SendAsync(request, completion, token);
        }
        catch (HttpRequestException e)
        {
            throw new ServerUnreachableException($"cannot reach server at {ServerUrl}: {Describe(e)}", e);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            throw new ServerUnreachableException($"the server at {ServerUrl} did not answer within {RequestTimeout.TotalSeconds:0} s", e);
        }
    }

    private static string Describe(HttpRequestException e)
    {
        // The innermost message is the useful one ("Connection refused (127.0.0.1:7420)").
        Exception inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message;
    }

    private static async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken ct, string? identity = null)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(ct);
        ErrorEnvelope? envelope = null;
        try
        {
            envelope = string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize(text, ContractsJsonContext.Default.ErrorEnvelope);
        }
        catch (JsonException)
        {
            // Not our server's error shape (a proxy's HTML page, say): described below from the status line.
        }

        // A refusal with no credentials at all deserves a pointer to where credentials come from.
        var noCredentials = response.StatusCode == HttpStatusCode.Unauthorized && identity == StaticTokenAuthenticator.NoCredentials
            ? ": no token is configured (run `ak config set --token TOKEN`, `ak up`, or set AK_TOKEN)"
            : "";
        if (envelope?.Error is { Message: { Length: > 0 } message } error)
        {
            throw new ApiException(response.StatusCode, error.Code ?? "", message + noCredentials, error.Field);
        }

        var status = (int)response.StatusCode;
        var reason = response.ReasonPhrase ?? response.StatusCode.ToString();
        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => ": check the token (`ak config set --token …` or AK_TOKEN)",
            HttpStatusCode.NotFound => $": {response.RequestMessage?.RequestUri?.AbsolutePath} does not exist on this server",
            _ => "",
        };
        throw new ApiException(response.StatusCode, "", $"the server answered {status} {reason}{hint}");
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>Builds <c>path?k=v&amp;…</c>, leaving out empty values.</summary>
    private static string WithQuery(string path, params (string Name, string? Value)[] query)
    {
        var builder = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in query)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return builder.ToString();
    }
}
