using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;

namespace AgentKanban.Daemon.ServerClient;

/// <summary>
/// The daemon's only way to the board server: its public HTTP API, authenticated with the machine key.
/// Every failure surfaces as a <see cref="ServerApiException"/> that says whether retrying can help.
/// </summary>
public sealed class BoardApiClient
{
    /// <summary>The API refuses request bodies over 1 MiB (413); far larger ones may only get the connection dropped.</summary>
    public const int MaxRequestBodyBytes = 1024 * 1024;

    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;
    private readonly HttpClient _http;

    public BoardApiClient(HttpClient http, Uri serverUrl, string token)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(serverUrl);
        _http = http;
        Audience = serverUrl.ToString().TrimEnd('/');
        // Relative API paths ("api/tasks") resolve under the base only when it ends with a slash.
        ServerUrl = new Uri(Audience + "/");
        Token = token;
    }

    public Uri ServerUrl { get; }

    /// <summary>The server's base URL without a trailing slash: the audience of session tokens.</summary>
    public string Audience { get; }

    /// <summary>The bearer token: a machine key (<c>akm_…</c>), or a user token only while registering.</summary>
    public string Token { get; private set; }

    public void UseToken(string token) => Token = token;

    public Task<WhoAmIDto> WhoAmIAsync(CancellationToken cancellationToken) =>
        GetAsync("api/whoami", Json.WhoAmIDto, cancellationToken)!;

    public Task<MachineRegistrationDto> RegisterMachineAsync(RegisterMachineRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/machines", request, Json.RegisterMachineRequest, Json.MachineRegistrationDto, null, cancellationToken)!;

    public Task<HeartbeatAnswerDto> HeartbeatAsync(string machineId, HeartbeatRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"api/machines/{Uri.EscapeDataString(machineId)}/heartbeat", request, Json.HeartbeatRequest, Json.HeartbeatAnswerDto, null, cancellationToken)!;

    public Task<List<TaskDto>> ListTasksAsync(string query, CancellationToken cancellationToken) =>
        GetAsync($"api/tasks?{query}", Json.ListTaskDto, cancellationToken)!;

    /// <summary>The task, or null when it no longer exists.</summary>
    public async Task<TaskDto?> FindTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync($"api/tasks/{Uri.EscapeDataString(taskId)}", Json.TaskDto, cancellationToken);
        }
        catch (ServerApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public Task<AgentDto> GetAgentAsync(string agentId, CancellationToken cancellationToken) =>
        GetAsync($"api/agents/{Uri.EscapeDataString(agentId)}", Json.AgentDto, cancellationToken)!;

    public Task<List<AgentDto>> ListAgentsAsync(CancellationToken cancellationToken) =>
        GetAsync("api/agents", Json.ListAgentDto, cancellationToken)!;

    public Task<RepositoryDto> GetRepositoryAsync(string repositoryId, CancellationToken cancellationToken) =>
        GetAsync($"api/repositories/{Uri.EscapeDataString(repositoryId)}", Json.RepositoryDto, cancellationToken)!;

    public Task<LeaseDto> LeaseAsync(string taskId, CancellationToken cancellationToken) =>
        SendAsync<object?, LeaseDto>(HttpMethod.Post, $"api/tasks/{Uri.EscapeDataString(taskId)}/lease", null, null, Json.LeaseDto, null, cancellationToken)!;

    /// <summary>Opens the server's record of a session; the idempotency key makes a retry after a lost answer harmless.</summary>
    public Task<SessionDto> OpenSessionAsync(OpenSessionRequest request, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/sessions", request, Json.OpenSessionRequest, Json.SessionDto, idempotencyKey, cancellationToken)!;

    public Task<SessionDto?> FindSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        FindAsync($"api/sessions/{Uri.EscapeDataString(sessionId)}", Json.SessionDto, cancellationToken);

    /// <summary>
    /// <c>POST /api/tasks/{id}/claim</c> as the agent session <paramref name="bearer"/> was signed for (the daemon holds
    /// its key). Idempotent on the server for the session that already holds the claim.
    /// </summary>
    public async Task<TaskDto?> ClaimAsSessionAsync(string taskId, string bearer, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, $"api/tasks/{Uri.EscapeDataString(taskId)}/claim");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }

        try
        {
            return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(cancellationToken), Json.TaskDto);
        }
        catch (JsonException)
        {
            return null; // Claimed (2xx); the body does not matter.
        }
    }

    /// <summary>
    /// Sends a stored outbox request verbatim with its idempotency key, so a retry after a lost answer is
    /// applied by the server once. Returns the HTTP status of the (possibly replayed) answer.
    /// </summary>
    public async Task<HttpStatusCode> SendRawAsync(
        string method, string path, string? jsonBody, string idempotencyKey, string? bearer, CancellationToken cancellationToken)
    {
        using var request = NewRequest(new HttpMethod(method), path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        if (jsonBody is not null)
        {
            request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        }

        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }

        return response.StatusCode;
    }

    /// <summary>
    /// <c>POST /api/sessions/{id}/events</c>: a batch of live agent events (pre-serialized), authorized by
    /// <paramref name="bearer"/> (a token signed with the session's key). Idempotent by seq on the server.
    /// </summary>
    public async Task<AgentEventBatchResultDto?> PostAgentEventsAsync(string serverSessionId, string jsonBody, string bearer, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, $"api/sessions/{Uri.EscapeDataString(serverSessionId)}/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }

        try
        {
            return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(cancellationToken), Json.AgentEventBatchResultDto);
        }
        catch (JsonException)
        {
            // Taken (2xx) but unreadable: the events are on the server; nothing to retry.
            return null;
        }
    }

    /// <summary>
    /// Reads an SSE stream (<c>api/machines/{id}/events</c>) as events until the server closes it or
    /// <paramref name="cancellationToken"/> fires. Resumes after <paramref name="lastEventId"/>.
    /// </summary>
    public async IAsyncEnumerable<ServerEventDto> StreamEventsAsync(
        string path, long? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } last)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var data = new StringBuilder();
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException e)
            {
                throw new ServerApiException("event stream broke: " + e.Message, null, null, isTransient: true, e);
            }

            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    var evt = TryParseEvent(data.ToString());
                    data.Clear();
                    if (evt is not null)
                    {
                        yield return evt;
                    }
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0)
                {
                    data.Append('\n');
                }

                data.Append(line.AsSpan(line.Length > 5 && line[5] == ' ' ? 6 : 5));
            }

            // "id:", "event:" and ": keep-alive" lines carry nothing the data does not already hold: every frame's data
            // names its type and id, a reset's too (type "reset", id = the server's head).
        }
    }

    private static ServerEventDto? TryParseEvent(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, Json.ServerEventDto);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<T?> GetAsync<T>(string path, JsonTypeInfo<T> responseType, CancellationToken cancellationToken) =>
        await SendAsync<object?, T>(HttpMethod.Get, path, null, null, responseType, null, cancellationToken);

    private async Task<T?> FindAsync<T>(string path, JsonTypeInfo<T> responseType, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await GetAsync(path, responseType, cancellationToken);
        }
        catch (ServerApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private async Task<TResponse?> SendAsync<TRequest, TResponse>(
        HttpMethod method,
        string path,
        TRequest? body,
        JsonTypeInfo<TRequest>? requestType,
        JsonTypeInfo<TResponse> responseType,
        string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (body is not null && requestType is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, requestType), Encoding.UTF8, "application/json");
        }
        else if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await SendCoreAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }

        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return text.Length == 0 ? default : JsonSerializer.Deserialize(text, responseType);
        }
        catch (JsonException e)
        {
            // An answer that is not our JSON came from something in between (proxy, restart): retry later.
            throw new ServerApiException($"unreadable answer from {path}: {e.Message}", response.StatusCode, null, isTransient: true, e);
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(ServerUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return request;
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ServerApiException($"cannot reach {ServerUrl}: {e.Message}", null, null, isTransient: true, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ServerApiException($"request to {ServerUrl} timed out", null, null, isTransient: true, e);
        }
    }

    private static async Task<ServerApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new ServerApiException($"server answered {(int)status} and the body broke", status, null, isTransient: true, e);
        }

        ErrorEnvelope? envelope = null;
        try
        {
            envelope = text.Length > 0 ? JsonSerializer.Deserialize(text, Json.ErrorEnvelope) : null;
        }
        catch (JsonException)
        {
            // Not ours: treated below by status alone.
        }

        if (envelope?.Error is null)
        {
            // A 4xx without our error shape did not come from our server (proxy, wrong URL): worth retrying.
            return new ServerApiException($"server answered {(int)status} {response.ReasonPhrase}", status, null, isTransient: true);
        }

        return new ServerApiException(envelope.Error.Message, status, envelope.Error.Code, ServerApiException.IsTransientStatus(status));
    }
}
