using System.Net.Http.Headers;
using System.Net.Http.Json;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// A run that ended while the server could not be told (the daemon closed the session without releasing the task)
/// leaves the machine holding a lease it has no session for; heartbeats would keep that lease alive forever. Each
/// heartbeat answer is reconciled with the store: such leases are given back through the outbox.
/// </summary>
public sealed class LeaseReconciliationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Leases_this_machine_holds_without_a_session_are_given_back_after_the_next_heartbeat()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        // Assigned to an agent on a runtime this machine does not run: the daemon never dispatches them itself.
        var codex = await env.Server.CreateAgentAsync("codex-" + env.Marker[..6], "codex");
        var leasedOnly = await env.Server.CreateTaskAsync(env.Board.Id, "leased, never started", codex.Id);
        var claimed = await env.Server.CreateTaskAsync(env.Board.Id, "claimed, its ending never reported", codex.Id);
        var daemon = await env.StartInProcessAsync();

        // What a lost ending leaves behind, made with this machine's own key: one todo lease, and one claimed task whose
        // session this daemon does not know.
        using var machine = new HttpClient { BaseAddress = new Uri(env.Server.BaseUrl + "/") };
        machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", daemon.Context.MachineKey);
        await Lease(machine, leasedOnly.Id);
        var lease = await Lease(machine, claimed.Id);
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var opened = await machine.PostAsJsonAsync("api/sessions",
            new OpenSessionRequest { AgentId = codex.Id, TaskId = claimed.Id, Epoch = lease.Epoch, PublicKey = publicKey },
            ContractsJsonContext.Default.OpenSessionRequest, Ct);
        var session = (await opened.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(ContractsJsonContext.Default.SessionDto, Ct))!;
        using var agent = new HttpClient { BaseAddress = machine.BaseAddress };
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            SessionToken.Create(session.Id, env.Server.BaseUrl, privateKey, TimeProvider.System.GetUtcNow()));
        (await agent.PostAsync($"api/tasks/{claimed.Id}/claim", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), Ct)).EnsureSuccessStatusCode();
        Assert.Equal("in_progress", (await env.Server.GetTaskAsync(claimed.Id)).Status);

        daemon.Heartbeat.Wake();

        await Eventually.TrueAsync(async () => (await env.Server.GetTaskAsync(leasedOnly.Id)).Lease is null, "the todo lease to be given back");
        var released = await env.WaitForStatusAsync(claimed.Id, "todo");
        Assert.Null(released.Lease);
        var entry = Assert.Single(released.Activity!, a => a.Action == "released");
        Assert.Contains("no session for this task", entry.Detail, StringComparison.Ordinal);
        Assert.True(released.Epoch > lease.Epoch);
    }

    private static async Task<LeaseDto> Lease(HttpClient machine, string taskId)
    {
        using var response = await machine.PostAsync($"api/tasks/{taskId}/lease", null, Ct);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(ContractsJsonContext.Default.LeaseDto, Ct))!;
    }
}
