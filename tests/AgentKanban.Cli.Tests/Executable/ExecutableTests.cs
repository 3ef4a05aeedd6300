using System.Net;
using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.Executable;

/// <summary>The built <c>ak</c> as a real child process: exit codes, stderr, and <c>ak server</c> with SIGTERM.</summary>
public sealed class ExecutableTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Version_prints_and_exits_0()
    {
        var result = await AkProcess.RunAsync(_home.Path, null, "--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(CliVersion.Full, result.Out.Trim());
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task Usage_errors_exit_2_with_a_hint_on_stderr()
    {
        var unknownFlag = await AkProcess.RunAsync(_home.Path, null, "get", "tasks", "--bogus");
        var unknownCommand = await AkProcess.RunAsync(_home.Path, null, "frobnicate");
        var missing = await AkProcess.RunAsync(_home.Path, null, "create", "board", "--type", "dev");

        Assert.Equal((2, ""), (unknownFlag.ExitCode, unknownFlag.Out));
        Assert.Contains("--bogus", unknownFlag.Err, StringComparison.Ordinal);
        Assert.Contains("Run 'ak get task --help' for usage.", unknownFlag.Err, StringComparison.Ordinal);
        Assert.Equal(2, unknownCommand.ExitCode);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--name", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_is_useful_and_exits_0()
    {
        var result = await AkProcess.RunAsync(_home.Path, null, "create", "task", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--assign-to", result.Out, StringComparison.Ordinal);
        Assert.Contains("Examples:", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_server_is_one_clear_line_and_exit_1()
    {
        var url = $"http://127.0.0.1:{Ports.Free()}";

        var result = await AkProcess.RunAsync(_home.Path, new Dictionary<string, string?> { ["AK_SERVER"] = url, ["AK_TOKEN"] = "akp_x" }, "get", "tasks");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: cannot reach server at {url}", result.Err, StringComparison.Ordinal);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Server_serves_writes_a_private_admin_token_and_stops_on_sigterm()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(_home.Path, "data");
        var url = $"http://127.0.0.1:{Ports.Free()}";
        using var server = System.Diagnostics.Process.Start(AkProcess.StartInfo(_home.Path, ["server", "--data", data, "--urls", url, "--lease-ttl", "6s"]))!;
        var stdout = server.StandardOutput.ReadToEndAsync(ct);
        var stderr = server.StandardError.ReadToEndAsync(ct);
        try
        {
            using var http = new HttpClient();
            // Only on failure is the server stopped to show what it printed.
            if (!await HealthyAsync(http, url, server, ct) || server.HasExited)
            {
                Assert.Fail($"the server never answered /healthz\n{await StopAsync(server, stdout, stderr)}");
            }

            var tokenFile = Path.Combine(data, "admin-token");
            Assert.True(File.Exists(tokenFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            var token = (await File.ReadAllTextAsync(tokenFile, ct)).Trim();

            // The real binary against the real server: a server error is the server's message and exit 1.
            var env = new Dictionary<string, string?> { ["AK_SERVER"] = url, ["AK_TOKEN"] = token };
            var missing = await AkProcess.RunAsync(_home.Path, env, "get", "task", "nosuchtask");
            Assert.Equal(1, missing.ExitCode);
            Assert.StartsWith("error: ", missing.Err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", missing.Err, StringComparison.Ordinal);
            var board = Json.Unique("proc");
            var created = await AkProcess.RunAsync(_home.Path, env, "create", "board", "--name", board, "--type", "ops", "-o", "json");
            Assert.True(created.ExitCode == 0, created.ToString());
            Assert.Equal(board, Json.Object(created).Str("name"));

            // --lease-ttl: a machine's heartbeat answer announces the lease length it must renew within.
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var registered = await http.PostAsync($"{url}/api/machines",
                new StringContent("{\"device_id\":\"exe-test\"}", System.Text.Encoding.UTF8, "application/json"), ct);
            var registration = System.Text.Json.JsonDocument.Parse(await registered.Content.ReadAsStringAsync(ct)).RootElement;
            using var machine = new HttpClient();
            machine.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", registration.GetProperty("api_key").GetString());
            using var beat = await machine.PostAsync($"{url}/api/machines/{registration.GetProperty("machine").GetProperty("id").GetString()}/heartbeat",
                new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), ct);
            var answer = System.Text.Json.JsonDocument.Parse(await beat.Content.ReadAsStringAsync(ct)).RootElement;
            Assert.Equal(6000, answer.GetProperty("lease_ttl_ms").GetInt64());

            await AkProcess.TerminateAsync(server);
            await server.WaitForExitAsync(ct);
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    [Theory]
    [InlineData("1s", "too short")]
    [InlineData("soon", "is not a duration")]
    public async Task Server_refuses_a_lease_ttl_it_cannot_keep(string ttl, string message)
    {
        var result = await AkProcess.RunAsync(_home.Path, new Dictionary<string, string?>(), "server", "--data", Path.Combine(_home.Path, "data"),
            "--urls", $"http://127.0.0.1:{Ports.Free()}", "--lease-ttl", ttl);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--lease-ttl", result.Err, StringComparison.Ordinal);
        Assert.Contains(message, result.Err, StringComparison.Ordinal);
    }

    /// <summary>Polls /healthz until it answers 200 (or the server exits); bounded so a broken server fails the test.</summary>
    private static async Task<bool> HealthyAsync(HttpClient http, string url, System.Diagnostics.Process server, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 300 && !server.HasExited; attempt++)
        {
            try
            {
                using var response = await http.GetAsync($"{url}/healthz", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, ct);
        }

        return false;
    }

    private static async Task<string> StopAsync(System.Diagnostics.Process server, Task<string> stdout, Task<string> stderr)
    {
        if (!server.HasExited)
        {
            server.Kill(entireProcessTree: true);
        }

        await server.WaitForExitAsync();
        return $"exit code {server.ExitCode}\nstdout:\n{await stdout}\nstderr:\n{await stderr}";
    }
}
