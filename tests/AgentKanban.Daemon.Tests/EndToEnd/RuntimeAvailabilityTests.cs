using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>What the heartbeat says about each runtime: credentials, and the usage windows its provider reported.</summary>
public sealed class RuntimeAvailabilityTests
{
    [Fact]
    public async Task A_runtime_without_credentials_is_reported_unauthorized_and_the_others_missing()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var environment = env.DaemonEnvironment();
        foreach (var name in new[] { "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CONFIG_DIR" })
        {
            environment.Remove(name);
        }

        // A HOME with no `claude login` credentials in it.
        environment["HOME"] = Directory.CreateDirectory(Path.Combine(env.Root, "empty-home")).FullName;
        var daemon = await env.StartInProcessAsync(env.Options() with { Environment = environment });

        var machine = await Eventually.WaitAsync(async () =>
        {
            var m = await env.Server.MachineAsync(daemon.MachineId);
            return m.Runtimes.Any(r => r.Name == "claude" && r.Status == "unauthorized") ? m : null;
        }, "claude reported unauthorized");
        var claude = Assert.Single(machine.Runtimes, r => r.Name == "claude");
        Assert.Contains("ANTHROPIC_API_KEY", claude.Detail, StringComparison.Ordinal);
        Assert.Equal(5, machine.Runtimes.Count);
    }

    [Fact]
    public async Task Claude_utilization_reaches_the_machine_as_a_usage_window()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("reports utilization", "claim", "usage five_hour 0.42", "say done", "review", "result");
        var daemon = await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");

        var window = await Eventually.WaitAsync(async () =>
            (await env.Server.MachineAsync(daemon.MachineId)).Usage.FirstOrDefault(u => u.Runtime == "claude" && u.Label == "five_hour"),
            "the usage window in a heartbeat");
        Assert.Equal(42, window.Utilization, 3);
        Assert.True(window.ResetsAt > TimeProvider.System.GetUtcNow().AddHours(4), $"reset {window.ResetsAt}");
    }
}
