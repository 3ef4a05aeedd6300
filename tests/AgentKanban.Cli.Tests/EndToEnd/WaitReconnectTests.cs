using AgentKanban.Cli.Tests.Infrastructure;
using AgentKanban.Server;
using Microsoft.AspNetCore.Builder;

namespace AgentKanban.Cli.Tests.EndToEnd;

/// <summary>
/// A wait outlives a server restart: its stream ends with the server, it keeps reopening it, and once the server is back
/// (same port, same data) it picks up a change made there.
/// </summary>
public sealed class WaitReconnectTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<WebApplication> StartServerAsync(string url)
    {
        var options = new ServerOptions { DataDir = _dir.Combine("data"), Urls = url, PrintAdminToken = false };
        var app = ServerHost.Build(options, TimeProvider.System);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static async Task StopAsync(WebApplication app)
    {
        await app.StopAsync(TestContext.Current.CancellationToken);
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Wait_task_reconnects_after_a_server_restart_and_sees_the_change_made_after_it()
    {
        Directory.CreateDirectory(_dir.Combine("data"));
        var url = $"http://127.0.0.1:{Ports.Free()}";
        var first = await StartServerAsync(url);
        var token = (await File.ReadAllTextAsync(_dir.Combine("data", "admin-token"), TestContext.Current.CancellationToken)).Trim();
        using var home = new TempDirectory();
        var ak = new AkCli(home.Path, new Dictionary<string, string?> { ["AK_SERVER"] = url, ["AK_TOKEN"] = token });
        await ak.OkAsync("create", "board", "--name", "restart", "--type", "ops");
        var id = Json.Id(await ak.OkAsync("create", "task", "--board", "restart", "--title", "Survives", "-o", "json"));

        var waiting = ak.Start(TestContext.Current.CancellationToken, "wait", "task", id, "--until", "cancelled", "--timeout", "2m");
        await waiting.WhenWrittenAsync($"[todo] {id}");
        await StopAsync(first);
        var second = await StartServerAsync(url);
        try
        {
            await ak.OkAsync("task", "cancel", id);
            var result = await waiting.Completion;

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains($"[cancelled] {id} Survives", result.Out, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(second);
        }
    }
}
