using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Leases;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Streams;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Web;

/// <summary>
/// Small read endpoints the board page needs and the rest of the API did not offer:
/// <c>GET /api/usage</c> (session totals per board and per agent) and <c>GET /api/boards/{id}/column-times</c>
/// (since when each task sits in its column). Any identity of the owner may read them.
/// </summary>
public static class WebReadApi
{
    // Activity entries that move a task to another column.
    private static readonly string[] ColumnChanges =
    [
        .. TaskActionNames.All.Select(a => a.ToActivity()),
        LeaseSweeper.ExpiredAction,
    ];

    public static IEndpointRouteBuilder MapWebReadApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/usage", UsageAsync);
        app.MapGet("/api/boards/{id}/column-times", ColumnTimesAsync);
        app.MapGet("/api/events/latest", LatestEventAsync);
        return app;
    }

    public static async Task<ApiResult> UsageAsync(HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var totals = await store.ReadAsync(async (db, ct) => new UsageTotalsDto(
            Totals(await SessionRows.TotalsByBoardAsync(db, caller.OwnerId, ct)),
            Totals(await SessionRows.TotalsByAgentAsync(db, caller.OwnerId, ct))), http.RequestAborted);
        return ApiResult.Ok(totals, WebJsonContext.Default.UsageTotalsDto);
    }

    public static async Task<ApiResult> ColumnTimesAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var times = await store.ReadAsync(async (db, ct) =>
        {
            var board = await Resolve.FindBoardAsync(db, caller.OwnerId, id, ct) ?? throw DomainException.NotFound("board", Validate.Truncate(id));
            var rows = await TaskRows.ColumnTimesAsync(db, caller.OwnerId, board.Id, ColumnChanges, ct);
            return rows.Select(t => new ColumnTimeDto(t.TaskId, t.Status, t.Since)).ToList();
        }, http.RequestAborted);
        return ApiResult.Ok(times, WebJsonContext.Default.ListColumnTimeDto);
    }

    /// <summary>
    /// The newest event id of the log. A page opens its stream at this cursor (<c>?last_event_id=</c>) before loading its
    /// snapshot: nothing committed in between is missed, and a stream that has delivered no event yet still resumes
    /// from there after a reconnect (the browser only sends <c>Last-Event-ID</c> once it has seen an id).
    /// </summary>
    internal static async Task<ApiResult> LatestEventAsync(HttpContext http, IEventLog log)
    {
        _ = http.GetCaller();
        var latest = await log.GetLatestIdAsync(http.RequestAborted);
        return ApiResult.Ok(new EventCursorDto(latest), WebJsonContext.Default.EventCursorDto);
    }

    private static List<UsageTotalDto> Totals(List<SessionRows.UsageTotal> totals) =>
        totals.Select(t => new UsageTotalDto(t.Id, t.Name, t.Sessions, t.InputTokens, t.OutputTokens, t.CacheReadTokens, t.CacheCreationTokens, t.CostMicroUsd))
            .ToList();
}
