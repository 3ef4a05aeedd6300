using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Streams;

/// <summary>Registers and maps the live event streams (SSE).</summary>
public static class EventStreamsExtensions
{
    /// <summary>Adds the event broadcaster (<see cref="IEventSignal"/>), the shared feed, the PostgreSQL listener and the stream pump.</summary>
    public static IServiceCollection AddEventStreams(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<EventStreamOptions>();
        services.AddSingleton<EventBroadcaster>();
        services.AddSingleton<IEventSignal>(sp => sp.GetRequiredService<EventBroadcaster>());
        services.AddSingleton(sp =>
        {
            var engine = sp.GetRequiredService<IStorageEngine>();
            return new EventStreamDatabase(
                engine.OpenConnectionAsync,
                engine.Kind == StorageKind.Postgres ? engine.ConnectionString : null);
        });
        services.AddSingleton<IEventLog>(sp => new DbEventLog(sp.GetRequiredService<EventStreamDatabase>().OpenConnection));
        services.AddSingleton<EventFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<EventFeed>());
        services.AddSingleton<PostgresEventListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresEventListener>());
        services.AddSingleton<EventStreamPump>();
        services.AddSingleton<StreamTargets>();
        return services;
    }

    /// <summary>Maps <c>GET /api/boards/{id}/events</c>, <c>/api/tasks/{id}/events</c> and <c>/api/machines/{id}/events</c>.</summary>
    public static IEndpointRouteBuilder MapEventStreams(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        StreamsApi.Map(app);
        return app;
    }
}
