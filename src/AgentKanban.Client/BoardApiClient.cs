using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;

namespace AgentKanban.Client;

/// <summary>
/// The typed HTTP client of the board API (docs/API.md), used by the <c>ak</c> CLI (a user token or an agent session
/// key) and by the daemon (its machine key, and per call the token of one of its sessions). JSON goes only through the
/// source-generated <see cref="ContractsJsonContext"/>. Every failure surfaces as a <see cref="ServerApiException"/>
/// that says whether retrying can help.
/// </summary>
public sealed partial class BoardApiClient : IDisposable
{
    /// <summary>The API refuses request bodies over 1 MiB (413); far larger ones may only get the connection dropped.</summary>
    public const int MaxRequestBodyBytes = 1024 * 1024;

    private const string JsonMediaType = "application/json";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly BoardApiClientOptions _options;
    private readonly Uri _base;
    private BoardCredentials _credentials;

    /// <summary>Over an <see cref="HttpClient"/> the caller owns (and disposes), with a bearer token (the daemon).</summary>
    public BoardApiClient(HttpClient http, Uri serverUrl, string? token)
        : this(http, ownsHttp: false, serverUrl?.ToString() ?? throw new ArgumentNullException(nameof(serverUrl)),
            new BearerTokenCredentials(token), BoardApiClientOptions.Default)
    {
    }

    /// <summary>
    /// Over its own connection (disposed with the client, as are <paramref name="credentials"/>).
    /// </summary>
    /// <param name="handler">A transport to use instead of a new socket handler; it is not disposed with the client.</param>
    public BoardApiClient(string serverUrl, BoardCredentials credentials, BoardApiClientOptions? options = null, HttpMessageHandler? handler = null)
        : this(
            new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: handler is null)
            {
                // Event streams run as long as their reader wants; ordinary calls get RequestTimeout each.
                Timeout = Timeout.InfiniteTimeSpan,
            },
            ownsHttp: true, serverUrl, credentials, options ?? BoardApiClientOptions.Default)
    {
    }

    private BoardApiClient(HttpClient http, bool ownsHttp, string serverUrl, BoardCredentials credentials, BoardApiClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(serverUrl);
        ArgumentNullException.ThrowIfNull(credentials);
        _http = http;
        _ownsHttp = ownsHttp;
        _credentials = credentials;
        _options = options;
        ServerUrl = serverUrl.TrimEnd('/');
        // Relative API paths ("api/tasks") resolve under the base only when it ends with a slash, so a server mounted
        // under a path prefix works too.
        _base = new Uri(ServerUrl + "/");
    }

    /// <summary>The server's base URL without a trailing slash.</summary>
    public string ServerUrl { get; }

    /// <summary>The audience of session tokens: the server's base URL without a trailing slash.</summary>
    public string Audience => ServerUrl;

    /// <summary>The credentials every call is sent with unless it names its own bearer.</summary>
    public BoardCredentials Credentials => Volatile.Read(ref _credentials);

    /// <summary>From now on, sends <paramref name="token"/> (a machine key, or a user token while registering).</summary>
    public void UseToken(string token) => Interlocked.Exchange(ref _credentials, new BearerTokenCredentials(token)).Dispose();

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _credentials.Dispose();
    }

    private static ContractsJsonContext Json => ContractsJsonContext.Default;

    private Task<T> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, path, null, answer, ct);

    private Task<TAnswer> PostAsync<TBody, TAnswer>(string path, TBody body, JsonTypeInfo<TBody> bodyInfo, JsonTypeInfo<TAnswer> answer, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, JsonBody(body, bodyInfo), answer, ct);

    private Task<TAnswer> PatchAsync<TBody, TAnswer>(string path, TBody body, JsonTypeInfo<TBody> bodyInfo, JsonTypeInfo<TAnswer> answer, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, path, JsonBody(body, bodyInfo), answer, ct);

    /// <summary>The item, or null when the server answers 404.</summary>
    private async Task<T?> FindAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken ct)
        where T : class
    {
        try
        {
            return await GetAsync(path, answer, ct);
        }
        catch (ServerApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private async Task<T> SendAsync<T>(
        HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> answer, CancellationToken ct,
        string? idempotencyKey = null, string? bearer = null)
    {
        using var request = NewRequest(method, path, content, idempotencyKey, bearer);
        using var response = await SendCheckedAsync(request, ct);
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new ServerApiException($"the server's answer to {method} /{path} broke off: {Innermost(e)}", response.StatusCode, null, isTransient: true, e);
        }

        T? value;
        try
        {
            value = string.IsNullOrWhiteSpace(text) ? default : JsonSerializer.Deserialize(text, answer);
        }
        catch (JsonException e)
        {
            // An answer that is not our JSON came from something in between (a proxy, a restart): retry later.
            throw new ServerApiException($"the server's answer to {method} /{path} is not what this ak expects ({e.Message})",
                response.StatusCode, null, isTransient: true, e);
        }

        return value ?? throw new ServerApiException($"the server sent an empty answer to {method} /{path}", response.StatusCode, null, isTransient: true);
    }

    /// <summary>Sends and checks the status; the body is ignored.</summary>
    private async Task<HttpStatusCode> SendWithoutAnswerAsync(
        HttpMethod method, string path, HttpContent? content, CancellationToken ct, string? idempotencyKey = null, string? bearer = null)
    {
        using var request = NewRequest(method, path, content, idempotencyKey, bearer);
        using var response = await SendCheckedAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>A 2xx answer whose body is read if it can be: an unreadable one is still a success (null).</summary>
    private async Task<T?> SendTolerantAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> answer, CancellationToken ct)
        where T : class
    {
        using var response = await SendCheckedAsync(request, ct);
        try
        {
            return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(ct), answer);
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            return null;
        }
    }

    /// <summary>The body of a POST that has nothing to say: an empty JSON object.</summary>
    private static StringContent EmptyObject() => new("{}", Encoding.UTF8, JsonMediaType);

    private static StringContent JsonBody<T>(T body, JsonTypeInfo<T> info) =>
        new(JsonSerializer.Serialize(body, info), Encoding.UTF8, JsonMediaType);

    private HttpRequestMessage NewRequest(HttpMethod method, string path, HttpContent? content, string? idempotencyKey, string? bearer)
    {
        var request = new HttpRequestMessage(method, new Uri(_base, path)) { Content = content };
        if ((bearer ?? Credentials.NextBearer()) is { } credential)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (_options.UserAgent is { } agent)
        {
            request.Headers.UserAgent.Add(agent);
        }

        return request;
    }

    /// <summary>An ordinary call: sent under the request deadline, its whole answer read; an error status throws.</summary>
    private async Task<HttpResponseMessage> SendCheckedAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (_options.RequestTimeout is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token, ct);
        try
        {
            await ThrowIfErrorAsync(response, ct);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Sends; no answer at all (refused, DNS, timeout) becomes a transient exception naming the server.</summary>
    private async Task<HttpResponseMessage> SendCoreAsync(
        HttpRequestMessage request, HttpCompletionOption completion, CancellationToken token, CancellationToken callerToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, token);
        }
        catch (HttpRequestException e)
        {
            throw new ServerApiException($"cannot reach server at {ServerUrl}: {Innermost(e)}", null, null, isTransient: true, e);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            var limit = _options.RequestTimeout ?? _http.Timeout;
            var within = limit == Timeout.InfiniteTimeSpan ? "in time" : $"within {limit.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s";
            throw new ServerApiException($"the server at {ServerUrl} did not answer {within}", null, null, isTransient: true, e);
        }
    }

    /// <summary>The innermost message is the useful one ("Connection refused (127.0.0.1:7420)").</summary>
    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    private async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = response.StatusCode;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new ServerApiException($"the server answered {(int)status} and the body broke off: {Innermost(e)}", status, null, isTransient: true, e);
        }

        ErrorEnvelope? envelope = null;
        try
        {
            envelope = string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize(text, Json.ErrorEnvelope);
        }
        catch (JsonException)
        {
            // Not the server's error shape (a proxy's HTML page, say): described below from the status line.
        }

        var explained = envelope?.Error is { Message.Length: > 0 };
        var hint = status == HttpStatusCode.Unauthorized ? _options.UnauthorizedHint?.Invoke(Credentials, explained) ?? "" : "";
        if (envelope?.Error is { } error)
        {
            var message = explained ? error.Message + hint : StatusLine(response, hint);
            throw new ServerApiException(message, status, error.Code, ServerApiException.IsTransientStatus(status), field: error.Field);
        }

        // A 4xx without the server's error shape did not come from the server (a proxy, a wrong URL): worth retrying.
        throw new ServerApiException(StatusLine(response, hint), status, null, isTransient: true);
    }

    private static string StatusLine(HttpResponseMessage response, string hint)
    {
        var reason = response.ReasonPhrase ?? response.StatusCode.ToString();
        if (hint.Length == 0 && response.StatusCode == HttpStatusCode.NotFound)
        {
            hint = $": {response.RequestMessage?.RequestUri?.AbsolutePath} does not exist on this server";
        }

        return $"the server answered {(int)response.StatusCode} {reason}{hint}";
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
