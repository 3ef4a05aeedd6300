using System.Net;
using System.Text;
using AgentKanban.Contracts;

namespace AgentKanban.Client;

public sealed partial class BoardApiClient
{
    public Task<List<SessionDto>> ListSessionsAsync(SessionFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var path = WithQuery("api/sessions", ("task_id", filter.TaskId), ("agent_id", filter.AgentId),
            ("machine_id", filter.MachineId), ("status", filter.Status));
        return GetAsync(path, Json.ListSessionDto, ct);
    }

    public Task<SessionDto> GetSessionAsync(string id, CancellationToken ct) =>
        GetAsync($"api/sessions/{Segment(id)}", Json.SessionDto, ct);

    /// <summary>Opens the server's record of a session; the idempotency key makes a retry after a lost answer harmless.</summary>
    public Task<SessionDto> OpenSessionAsync(OpenSessionRequest request, string idempotencyKey, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "api/sessions", JsonBody(request, Json.OpenSessionRequest), Json.SessionDto, ct, idempotencyKey);

    /// <summary>
    /// <c>POST /api/sessions/{id}/events</c>: a batch of live agent events (pre-serialized), authorized by
    /// <paramref name="bearer"/> (a token signed with the session's key). Idempotent by seq on the server. Null when the
    /// batch was taken (2xx) but the answer could not be read: the events are on the server, nothing to retry.
    /// </summary>
    public async Task<AgentEventBatchResultDto?> PostAgentEventsAsync(string serverSessionId, string jsonBody, string bearer, CancellationToken ct)
    {
        using var request = NewRequest(HttpMethod.Post, $"api/sessions/{Segment(serverSessionId)}/events",
            new StringContent(jsonBody, Encoding.UTF8, JsonMediaType), null, bearer);
        return await SendTolerantAsync(request, Json.AgentEventBatchResultDto, ct);
    }

    /// <summary>
    /// Sends a stored (outbox) request verbatim with its idempotency key, so a retry after a lost answer is applied by the
    /// server once; <paramref name="bearer"/> null sends the client's credentials. Returns the status of the (possibly
    /// replayed) answer.
    /// </summary>
    public Task<HttpStatusCode> SendRawAsync(
        string method, string path, string? jsonBody, string idempotencyKey, string? bearer, CancellationToken ct) =>
        SendWithoutAnswerAsync(new HttpMethod(method), path,
            jsonBody is null ? null : new StringContent(jsonBody, Encoding.UTF8, JsonMediaType), ct, idempotencyKey, bearer);
}

/// <summary>Filters of <c>GET /api/sessions</c>.</summary>
public sealed record SessionFilter(string? TaskId = null, string? AgentId = null, string? MachineId = null, string? Status = null);
