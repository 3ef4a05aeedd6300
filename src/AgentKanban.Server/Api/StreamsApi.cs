using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Http;
using AgentKanban.Server.Streams;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace AgentKanban.Server.Api;

/// <summary>
/// <c>GET /api/boards/{id}/events</c>, <c>/api/tasks/{id}/events</c>, <c>/api/machines/{id}/events</c>: Server-Sent
/// Events from the durable event log, scoped to the caller's owner. A machine may open only its own machine stream.
/// </summary>
public static class StreamsApi
{
    public static IEndpointRouteBuilder MapEventStreams(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/boards/{id}/events", context => StreamAsync(context, StreamKind.Board));
        app.MapGet("/api/tasks/{id}/events", context => StreamAsync(context, StreamKind.Task));
        app.MapGet("/api/machines/{id}/events", context => StreamAsync(context, StreamKind.Machine));
        return app;
    }

    private static async Task StreamAsync(HttpContext context, StreamKind kind)
    {
        var services = context.RequestServices;
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = stop.Token;

        var caller = context.FindCaller();
        if (caller is null)
        {
            await ApiResult.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "authentication required").ExecuteAsync(context);
            return;
        }

        var start = StreamStart.From(context.Request);
        if (start.InvalidField is { } field)
        {
            await ApiResult.Error(StatusCodes.Status400BadRequest, ErrorCodes.Validation,
                $"{field} must be a non-negative event id", field).ExecuteAsync(context);
            return;
        }

        var requested = context.Request.RouteValues["id"] as string ?? string.Empty;
        if (kind == StreamKind.Machine && caller.Kind != CallerKind.User && !IsThatMachine(caller, requested))
        {
            await ApiResult.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
                "only the machine itself or its owner can open a machine's event stream").ExecuteAsync(context);
            return;
        }

        var target = await services.GetRequiredService<StreamTargets>().FindAsync(kind, caller.OwnerId, requested, cancellationToken);
        if (target is null)
        {
            await ApiResult.Error(StatusCodes.Status404NotFound, ErrorCodes.NotFound,
                $"{Describe(kind)} '{requested}' not found").ExecuteAsync(context);
            return;
        }

        // "Now" is read from the log itself (not the feed), so nothing committed before this request is replayed
        // and nothing committed after it is missed, whichever instance committed it. The floor comes with it: from the
        // database, so every instance (and every restart) gives a resuming client the same answer.
        var scope = new StreamScope(kind, caller.OwnerId, target);
        var position = await services.GetRequiredService<IEventLog>().GetPositionAsync(scope, cancellationToken);
        await services.GetRequiredService<EventStreamPump>().RunAsync(context.Response, scope, start, position, cancellationToken);
    }

    private static bool IsThatMachine(Caller caller, string requested) =>
        caller.Kind == CallerKind.Machine && string.Equals(caller.MachineId ?? caller.Id, requested, StringComparison.Ordinal);

    private static string Describe(StreamKind kind) => kind switch
    {
        StreamKind.Board => "board",
        StreamKind.Task => "task",
        _ => "machine",
    };
}
