using System.Globalization;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>
/// Live agent events: the daemon relays a running session's events in batches (<c>POST /api/sessions/{id}/events</c>);
/// they are stored in the event log as <c>agent.event</c> rows (the last N per session are kept) and so reach the
/// task's SSE stream in order, resumable with <c>Last-Event-ID</c>. <c>GET /api/tasks/{id}/agent-events</c> returns
/// the retained history as JSON.
/// </summary>
public static class AgentEventsApi
{
    /// <summary>Most events one batch may carry.</summary>
    public const int MaxBatch = 500;

    public static IEndpointRouteBuilder MapAgentEventsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/api/sessions/{id}/events", PostAsync);
        app.MapGet("/api/tasks/{id}/agent-events", ListAsync);
        return app;
    }

    public static async Task<ApiResult> PostAsync(string id, HttpContext http, Mutations mutations, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var self = http.GetCaller();
        var isSelf = self.Kind == CallerKind.Session && self.SessionId == id;
        if (self.Kind != CallerKind.Machine && !isSelf)
        {
            throw DomainException.Forbidden("agent events are posted by the session itself or by the machine that opened it");
        }

        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.AgentEventBatchRequest, optional: false, http.RequestAborted);
        var batch = ValidateBatch(body!.Events);
        var cap = Math.Max(1, options.AgentEventsPerSession);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var target = await LockSessionAsync(tx, caller, id, ct);
            var last = await AgentEventRows.LastSeqAsync(tx.Scope, id, ct);

            // Only seqs above the last stored one are new: a retried batch (or a stale copy of one) applies once, and
            // seq order within a session always matches the log's id order.
            var fresh = batch.Where(e => e.Seq > last).ToList();
            if (fresh.Count > 0)
            {
                await AgentEventRows.PruneAsync(tx, id, fresh.Count, cap, ct);
                foreach (var agentEvent in fresh.Count > cap ? fresh.Skip(fresh.Count - cap) : fresh)
                {
                    tx.AddEvent(AgentEventRows.Record(caller.OwnerId, target, agentEvent with { SessionId = id }, now));
                }
            }

            var result = new AgentEventBatchResultDto(fresh.Count, body.Events!.Count - fresh.Count, fresh.Count > 0 ? fresh[^1].Seq : last);
            return ApiResult.Ok(result, ContractsJsonContext.Default.AgentEventBatchResultDto);
        });
    }

    public static async Task<ApiResult> ListAsync(
        string id, HttpContext http, IStorageEngine store,
        [FromQuery(Name = "session_id")] string? sessionId = null,
        [FromQuery(Name = "after_seq")] string? afterSeq = null)
    {
        var caller = http.GetCaller();
        long? after = null;
        if (afterSeq is not null)
        {
            after = long.TryParse(afterSeq, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw DomainException.Validation("after_seq", "'after_seq' must be a non-negative integer");
        }

        var events = await store.ReadAsync(async (db, ct) =>
        {
            if (!await Resolve.TaskExistsAsync(db, caller.OwnerId, id, ct))
            {
                throw DomainException.NotFound("task", Validate.Truncate(id));
            }

            return await AgentEventRows.ListAsync(db, caller.OwnerId, id, sessionId, after, ct);
        }, http.RequestAborted);
        return ApiResult.Ok(events, ContractsJsonContext.Default.ListAgentEventDto);
    }

    /// <summary>
    /// Inside a write: the caller may post for the session (the session itself or the machine that opened it), the
    /// session is open, has a task, and — for a worker — still holds the task's epoch. The session row stays locked to
    /// the commit (PostgreSQL), so two batches of one session are applied one after the other and seq order holds.
    /// </summary>
    private static async Task<AgentEventRows.SessionTarget> LockSessionAsync(WriteTransaction tx, Caller caller, string sessionId, CancellationToken cancellationToken)
    {
        var session = await SessionRows.LockAsync(tx, caller.OwnerId, sessionId, cancellationToken)
                      ?? throw DomainException.NotFound("session", Validate.Truncate(sessionId));
        if (caller.Kind == CallerKind.Machine && caller.MachineId != session.MachineId)
        {
            throw DomainException.Forbidden("only the machine that opened a session may post its agent events");
        }

        if (session.Status != "active")
        {
            throw DomainException.Conflict($"session '{sessionId}' is closed");
        }

        if (session.TaskId is not { } taskId)
        {
            throw DomainException.Conflict($"session '{sessionId}' has no task to relay agent events to");
        }

        var task = await TaskRows.LockSharedAsync(tx, caller.OwnerId, taskId, cancellationToken)
                   ?? throw DomainException.NotFound("task", Validate.Truncate(taskId));
        if (session.AgentKind == "worker" && task.Epoch != session.Epoch)
        {
            // The task was re-leased: what this session's agent does no longer belongs on the task's stream.
            throw DomainException.StaleEpoch(session.Epoch, task.Epoch);
        }

        return new AgentEventRows.SessionTarget(sessionId, taskId, task.BoardId, session.MachineId);
    }

    /// <summary>Checks every event (400 naming <c>events[i].field</c>); returns them by seq, one per seq (the first copy wins).</summary>
    private static List<AgentEventDto> ValidateBatch(IReadOnlyList<AgentEventDto>? events)
    {
        if (events is null || events.Count == 0)
        {
            throw DomainException.Validation("events", "'events' must hold at least one event");
        }

        if (events.Count > MaxBatch)
        {
            throw DomainException.Validation("events", $"a batch holds at most {MaxBatch} events, not {events.Count}");
        }

        var checkedEvents = new List<AgentEventDto>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] ?? throw DomainException.Validation($"events[{i}]", $"'events[{i}]' must be an object");
            if (e.Seq < 1)
            {
                throw DomainException.Validation($"events[{i}].seq", $"'events[{i}].seq' must be 1 or more");
            }

            Validate.OneOf($"events[{i}].kind", e.Kind, AgentEventKinds.All);
            if (e.At == default)
            {
                throw DomainException.Validation($"events[{i}].at", $"'events[{i}].at' (an ISO-8601 time) is required");
            }

            if (e.Data is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
            {
                throw DomainException.Validation($"events[{i}].data", $"'events[{i}].data' must be a JSON object");
            }

            checkedEvents.Add(e with { SessionId = null, Data = e.Data is { ValueKind: JsonValueKind.Object } ? e.Data : EmptyObject });
        }

        return checkedEvents
            .GroupBy(e => e.Seq)
            .Select(g => g.First())
            .OrderBy(e => e.Seq)
            .ToList();
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
}
