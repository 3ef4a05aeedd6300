using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>The circuit breaker: a runtime whose agents keep ending before they claim their tasks is circuit-broken (persisted).</summary>
public sealed class CircuitBreakerTests
{
    [Fact]
    public async Task Runtime_failing_before_claim_opens_its_circuit_and_stops_dispatch_across_a_restart()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var failing = new List<Contracts.TaskDto>();
        for (var i = 0; i < 3; i++)
        {
            failing.Add(await env.CreateTaskAsync($"never claimed {i}", "say giving up", "exit 0"));
        }

        var daemon = await env.StartInProcessAsync();
        await Eventually.TrueAsync(async () =>
            (await daemon.Breakers.AllAsync(CancellationToken.None)).TryGetValue("claude", out var b) && b.Status == CircuitStatus.Open,
            "the circuit to open");
        await env.StopInProcessAsync(daemon);

        // Persisted: a fresh daemon keeps the circuit open and dispatches nothing to the runtime.
        var next = await env.CreateTaskAsync("waits for the circuit");
        var fresh = await env.StartInProcessAsync();
        var why = await Eventually.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(next.Id);
            return t.Why?.Contains("circuit open", StringComparison.Ordinal) == true ? t.Why : null;
        }, "the why to name the open circuit");
        Assert.Contains("claude", why, StringComparison.Ordinal);
        Assert.Empty(env.InvocationsFor(next.Id));
        var machine = await env.Server.MachineAsync(fresh.MachineId);
        Assert.Contains(machine.Runtimes, r => r.Name == "claude" && r.Status == "limited");
        foreach (var task in failing)
        {
            Assert.Equal("todo", (await env.Server.GetTaskAsync(task.Id)).Status);
        }
    }
}
