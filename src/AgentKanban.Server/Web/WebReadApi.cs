using System.Data.Common;
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

    private const string Sums =
        "COUNT(s.id), CAST(SUM(s.input_tokens) AS bigint), CAST(SUM(s.output_tokens) AS bigint), " +
        "CAST(SUM(s.cache_read_tokens) AS bigint), CAST(SUM(s.cache_creation_tokens) AS bigint), CAST(SUM(s.cost_micro_usd) AS bigint)";

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
        var totals = await store.ReadAsync(async (db, ct) =>
        {
            var boards = await TotalsAsync(db,
                $"SELECT b.id, b.name, {Sums} FROM sessions s JOIN tasks t ON t.id = s.task_id JOIN boards b ON b.id = t.board_id " +
                "WHERE s.owner_id = @o GROUP BY b.id, b.name ORDER BY b.name", caller.OwnerId, ct);
            var agents = await TotalsAsync(db,
                $"SELECT a.id, a.username, {Sums} FROM sessions s JOIN agents a ON a.id = s.agent_id " +
                "WHERE s.owner_id = @o GROUP BY a.id, a.username ORDER BY a.username", caller.OwnerId, ct);
            return new UsageTotalsDto(boards, agents);
        }, http.RequestAborted);
        return ApiResult.Ok(totals, WebJsonContext.Default.UsageTotalsDto);
    }

    public static async Task<ApiResult> ColumnTimesAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var times = await store.ReadAsync(async (db, ct) =>
        {
            var board = await Resolve.FindBoardAsync(db, caller.OwnerId, id, ct) ?? throw DomainException.NotFound("board", Validate.Truncate(id));
            var placeholders = string.Join(", ", ColumnChanges.Select((_, i) => "@a" + i));
            await using var command = db.Command(
                    "SELECT t.id, t.status, t.created_at, " +
                    $"(SELECT MAX(a.created_at) FROM activity a WHERE a.task_id = t.id AND a.action IN ({placeholders})) " +
                    "FROM tasks t WHERE t.board_id = @b AND t.owner_id = @o")
                .Add("@b", board.Id).Add("@o", caller.OwnerId);
            for (var i = 0; i < ColumnChanges.Length; i++)
            {
                command.Add("@a" + i, ColumnChanges[i]);
            }

            var list = new List<ColumnTimeDto>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                // A task never moved has been in its column since it was created.
                list.Add(new ColumnTimeDto(reader.GetString(0), reader.GetString(1), reader.GetTimeOrNull(3) ?? reader.GetTime(2)));
            }

            return list;
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

    private static async Task<List<UsageTotalDto>> TotalsAsync(DbScope db, string sql, string ownerId, CancellationToken cancellationToken)
    {
        await using var command = db.Command(sql).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<UsageTotalDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Map(reader));
        }

        return list;
    }

    private static UsageTotalDto Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7));
}
