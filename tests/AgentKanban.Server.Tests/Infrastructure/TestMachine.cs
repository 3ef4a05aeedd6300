using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>A registered machine with a client authenticated by its API key (<c>akm_…</c>).</summary>
public sealed class TestMachine(TestUser owner, MachineDto machine, string apiKey, HttpClient client)
{
    public TestUser Owner { get; } = owner;

    public MachineDto Machine { get; } = machine;

    public string ApiKey { get; } = apiKey;

    public HttpClient Client { get; } = client;

    public string Id => Machine.Id;

    public async Task<LeaseDto> LeaseAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var response = await Client.PostAsync($"api/tasks/{taskId}/lease", null, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.LeaseDto, cancellationToken);
    }

    public async Task<MachineDto> HeartbeatAsync(HeartbeatRequest? request = null, CancellationToken cancellationToken = default) =>
        (await HeartbeatAnswerAsync(request, cancellationToken)).Machine;

    /// <summary>The whole heartbeat answer: the machine, the lease length and the leases it holds.</summary>
    public async Task<HeartbeatAnswerDto> HeartbeatAnswerAsync(HeartbeatRequest? request = null, CancellationToken cancellationToken = default)
    {
        var response = await Client.PostJsonAsync($"api/machines/{Id}/heartbeat", request ?? new HeartbeatRequest(),
            ContractsJsonContext.Default.HeartbeatRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.HeartbeatAnswerDto, cancellationToken);
    }

    /// <summary>Mints a P-256 keypair and opens a session for it (the machine must hold the task's lease at <paramref name="epoch"/>).</summary>
    public async Task<TestSession> OpenSessionAsync(string agentId, string? taskId, long? epoch, CancellationToken cancellationToken = default)
    {
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var response = await Client.PostJsonAsync("api/sessions",
            new OpenSessionRequest { AgentId = agentId, TaskId = taskId, Epoch = epoch, PublicKey = publicKey },
            ContractsJsonContext.Default.OpenSessionRequest, cancellationToken);
        var session = await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.SessionDto, cancellationToken);
        return new TestSession(session, privateKey, publicKey, Owner.Server.CreateSessionClient(session.Id, privateKey));
    }

    /// <summary>Leases the task, then opens a worker session at the granted epoch.</summary>
    public async Task<TestSession> LeaseAndOpenSessionAsync(string agentId, string taskId, CancellationToken cancellationToken = default)
    {
        var lease = await LeaseAsync(taskId, cancellationToken);
        return await OpenSessionAsync(agentId, taskId, lease.Epoch, cancellationToken);
    }
}

/// <summary>An agent session: its keypair and a client that signs a fresh ES256 JWT for each request.</summary>
public sealed record TestSession(SessionDto Session, string PrivateKey, string PublicKey, HttpClient Client)
{
    public string Id => Session.Id;
}
