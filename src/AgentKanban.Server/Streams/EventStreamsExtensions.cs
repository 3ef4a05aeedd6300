using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Streams;

/// <summary>Registers the live event streams (SSE); their endpoints are mapped by <c>Api/StreamsApi</c>.</summary>
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
}
