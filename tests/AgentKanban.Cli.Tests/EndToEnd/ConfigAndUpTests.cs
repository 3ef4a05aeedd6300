using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.EndToEnd;

public sealed class ConfigAndUpTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Config_set_then_commands_use_the_file_and_env_overrides_it()
    {
        var ak = new AkCli(_home.Path);
        var configFile = Path.Combine(_home.Path, ".config", "agent-kanban", "config.json");

        var set = await ak.OkAsync("config", "set", "--server", server.Url + "/", "--token", server.AdminToken);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(configFile)!));
        Assert.DoesNotContain(server.AdminToken, set.Out, StringComparison.Ordinal);
        await ak.OkAsync("get", "boards");

        var shown = Json.Object(await ak.OkAsync("config", "get", "-o", "json"));
        Assert.Equal(server.Url, shown.Str("server"));
        Assert.Equal(configFile, shown.Str("server_source"));
        Assert.DoesNotContain(server.AdminToken, shown.ToJsonString(), StringComparison.Ordinal);
        Assert.EndsWith(server.AdminToken[^4..], shown.Str("token"), StringComparison.Ordinal);

        var dead = $"http://127.0.0.1:{Ports.Free()}";
        var overridden = ak.With(("AK_SERVER", dead));
        var refused = await overridden.RunAsync("get", "boards");
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"error: cannot reach server at {dead}", refused.Err, StringComparison.Ordinal);
        Assert.Equal("AK_SERVER", Json.Object(await overridden.OkAsync("config", "get", "-o", "json")).Str("server_source"));

        var badToken = await ak.With(("AK_TOKEN", "akp_wrong")).RunAsync("get", "boards");
        Assert.Equal(1, badToken.ExitCode);
        Assert.StartsWith("error: ", badToken.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_starts_a_server_and_configures_the_cli()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var ak = new AkCli(_home.Path);
        var data = Path.Combine(_home.Path, "data");

        var up = ak.Start(stop.Token, "up", "--data", data, "--port", "0");
        await up.WhenWrittenAsync("Press Ctrl+C to stop.");

        var output = up.Out.ToString();
        Assert.Contains("Agent Kanban is running at http://127.0.0.1:", output, StringComparison.Ordinal);
        var token = (await File.ReadAllTextAsync(Path.Combine(data, "admin-token"), stop.Token)).Trim();
        Assert.Contains($"Admin token: {token}", output, StringComparison.Ordinal);
        // The config now points at the new server: plain commands work with no flags or env.
        var board = Json.Unique("up");
        await ak.OkAsync("create", "board", "--name", board, "--type", "ops");
        Assert.Single(Json.Array(await ak.OkAsync("get", "boards", "-o", "json")), b => b!.Str("name") == board);

        await stop.CancelAsync();
        var result = await up.Completion;
        Assert.Equal(0, result.ExitCode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
