using AgentKanban.Contracts;
using AgentKanban.Server.Api;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Http;
using AgentKanban.Server.Leases;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Streams;
using AgentKanban.Server.Web;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server;

/// <summary>Entry points the CLI uses to host the board server (<c>ak server</c>, <c>ak up</c>).</summary>
public static class ServerHost
{
    /// <summary>
    /// Builds the web application: services wired and endpoints mapped. Storage is migrated (and the admin user
    /// created on an empty store) during <c>StartAsync</c>, before the server listens. <paramref name="configureServices"/>
    /// runs last, so tests and benchmarks can replace a service.
    /// </summary>
    public static WebApplication Build(ServerOptions options, TimeProvider? timeProvider = null, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var time = timeProvider ?? TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        // Per-request framework logs cost more than a transition; keep the framework to warnings.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = RequestBody.HardLimitBytes);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ContractsJsonContext.Default));

        // Storage first: its hosted service migrates before anything else starts.
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(new ServerClock(time));
        builder.Services.AddSingleton<IStorageEngine>(sp => CreateStorage(options, sp.GetService<IEventSignal>(), time));
        builder.Services.AddHostedService<StorageStartup>();
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddSingleton<Mutations>();
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddSingleton<HeartbeatArrivals>();
        builder.Services.AddSingleton<LeaseSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaseSweeper>());
        builder.Services.AddSingleton<IdempotencyKeyCleanup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IdempotencyKeyCleanup>());
        builder.Services.AddEventStreams();
        builder.Services.AddSingleton<EventRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventRetention>());
        builder.Services.AddSingleton<WebSessions>();
        builder.Services.AddSingleton<WebAssets>();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<RequestGuardMiddleware>();
        Api.GitHubWebhook.UseGitHubWebhook(app); // Signed by GitHub, not a bearer token: before authentication.
        app.UseMiddleware<AuthenticationMiddleware>();

        app.MapGet("/healthz", () => Results.Ok());
        app.MapUsersApi();
        app.MapBoardsApi();
        app.MapRepositoriesApi();
        app.MapAgentsApi();
        app.MapTasksApi();
        app.MapTaskTransitionsApi();
        app.MapMachinesApi();
        app.MapSessionsApi();
        app.MapAgentEventsApi();
        app.MapEventStreams();
        app.MapWebReadApi();
        app.MapWebBoard();
        return app;
    }

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires; returns a process exit code.</summary>
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken cancellationToken)
    {
        await using var app = Build(options);
        await app.StartAsync(cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    private static IStorageEngine CreateStorage(ServerOptions options, IEventSignal? signal, TimeProvider time) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? new SqliteStorageEngine(options.DataDir, signal, time, options.SqliteSynchronous)
            : new PostgresStorageEngine(options.ConnectionString, signal, time);
}
