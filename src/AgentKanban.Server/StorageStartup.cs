using AgentKanban.Server.Auth;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server;

/// <summary>Before the server listens: migrate the schema, then create the admin user on an empty store.</summary>
internal sealed class StorageStartup(
    IStorageEngine store,
    ServerClock clock,
    ServerOptions options,
    ILogger<StorageStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.MigrateAsync(cancellationToken);
        ServerLog.StorageReady(logger, store.Kind.ToString());
        var token = await AdminBootstrap.EnsureAdminAsync(store, clock, options.DataDir, cancellationToken);
        if (token is not null)
        {
            var path = Path.Combine(options.DataDir, AdminBootstrap.TokenFileName);
            ServerLog.AdminCreated(logger, path);
            if (options.PrintAdminToken)
            {
                await Console.Out.WriteLineAsync($"Admin token (saved to {path}): {token}");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
