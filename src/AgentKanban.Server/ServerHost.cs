namespace AgentKanban.Server;

/// <summary>Entry points the CLI uses to host the board server (<c>ak server</c>, <c>ak up</c>).</summary>
public static class ServerHost
{
    /// <summary>Builds the web application: storage opened and migrated, endpoints mapped, not yet started.</summary>
    public static WebApplication Build(ServerOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.Services.AddSingleton(timeProvider ?? TimeProvider.System);
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Ok());
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
}
