using AgentKanban.Cli.Commands;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Output;
using AgentKanban.Server;

namespace AgentKanban.Cli.Hosting;

/// <summary>
/// The only place the CLI touches ASP.NET and the server. Kept apart so ordinary commands (and
/// <c>ak --version</c>) never load those assemblies.
/// </summary>
internal static class ServerLauncher
{
    private static ServerOptions WithLeaseTtl(ServerOptions options, TimeSpan? leaseTtl) =>
        leaseTtl is { } ttl ? options with { LeaseTtl = ttl } : options;

    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static async Task<int> RunServerAsync(
        string dataDir, string? connectionString, string urls, TimeSpan? leaseTtl, CancellationToken ct, string? gitHubWebhookSecret = null)
    {
        EnsureDataDir(dataDir);
        var options = WithLeaseTtl(new ServerOptions
        {
            DataDir = dataDir, ConnectionString = connectionString, Urls = urls, GitHubWebhookSecret = gitHubWebhookSecret,
        }, leaseTtl);
        return await ServerHost.RunAsync(options, ct);
    }

    public static async Task<int> RunUpAsync(
        CliContext context, string dataDir, int port, OutputFormat output, TimeSpan? leaseTtl, SandboxChoice sandbox, CancellationToken ct)
    {
        EnsureDataDir(dataDir);
        var options = WithLeaseTtl(new ServerOptions { DataDir = dataDir, Urls = $"http://127.0.0.1:{port}", PrintAdminToken = false }, leaseTtl);
        await using var app = ServerHost.Build(options);
        await app.StartAsync(ct);
        try
        {
            // With --port 0 the real port is only known once Kestrel is listening.
            var url = app.Urls.FirstOrDefault()?.TrimEnd('/') ?? options.Urls;
            var token = await ReadAdminTokenAsync(dataDir, context.Time, ct);
            var store = context.ConfigStore;
            var config = store.Load();
            store.Save(config with { Server = url, Token = token ?? config.Token });
            var summary = new UpSummary(url, token, dataDir, store.FilePath);
            Print(context, summary, output);
            // The daemon joins with the admin token, registers this machine and keeps its key under DIR/daemon.
            await using var daemon = token is null
                ? null
                : await DaemonLauncher.StartBesideServerAsync(context, url, token, Path.Combine(dataDir, "daemon"), dataDir, sandbox, ct);
            await Task.Delay(Timeout.InfiniteTimeSpan, context.Time, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            context.Error.WriteLine("stopping");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    /// <summary>The server writes the token while it starts; give it a moment in case the file lands just after.</summary>
    private static async Task<string?> ReadAdminTokenAsync(string dataDir, TimeProvider time, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "admin-token");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (File.Exists(path))
            {
                var token = (await File.ReadAllTextAsync(path, ct)).Trim();
                if (token.Length > 0)
                {
                    return token;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        }

        return null;
    }

    private static void Print(CliContext context, UpSummary summary, OutputFormat output)
    {
        if (output == OutputFormat.Json)
        {
            JsonOutput.WriteOne(context.Out, summary, CliJsonContext.Indented.UpSummary);
            return;
        }

        context.Out.WriteLine($"Agent Kanban is running at {summary.Url}");
        context.Out.WriteLine(summary.Token is null
            ? "Admin token: not found (the store already existed and its admin-token file is gone); the saved token was kept"
            : $"Admin token: {summary.Token}");
        context.Out.WriteLine($"Data:        {summary.DataDir}");
        context.Out.WriteLine($"Config:      {summary.ConfigPath} (server and token saved; `ak get boards` works now)");
        context.Out.WriteLine("Press Ctrl+C to stop.");
    }

    private static void EnsureDataDir(string dataDir)
    {
        var parent = Path.GetDirectoryName(dataDir);
        if (!string.IsNullOrEmpty(parent))
        {
            Directory.CreateDirectory(parent);
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataDir);
        }
        else
        {
            Directory.CreateDirectory(dataDir, PrivateDirectory);
        }
    }
}
