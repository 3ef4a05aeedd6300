using System.Net;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>A user of a <see cref="TestServer"/> (its own tenant) with helpers to build a board around it.</summary>
public sealed class TestUser(TestServer server, UserDto user, string token, HttpClient client)
{
    public TestServer Server { get; } = server;

    public UserDto User { get; } = user;

    /// <summary>The user's personal token (<c>akp_…</c>).</summary>
    public string Token { get; } = token;

    /// <summary>A client authenticated with <see cref="Token"/>.</summary>
    public HttpClient Client { get; } = client;

    public async Task<BoardDto> CreateBoardAsync(string? name = null, string type = "ops", CancellationToken cancellationToken = default)
    {
        var response = await Client.PostJsonAsync("api/boards", new CreateBoardRequest(name ?? "board-" + Unique(), type),
            ContractsJsonContext.Default.CreateBoardRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, cancellationToken);
    }

    public async Task<BoardDto> AddLabelAsync(string board, string name, string color = "#1f6feb", CancellationToken cancellationToken = default)
    {
        var response = await Client.PostJsonAsync($"api/boards/{board}/labels", new CreateLabelRequest(name, color),
            ContractsJsonContext.Default.CreateLabelRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, cancellationToken);
    }

    public async Task<RepositoryDto> CreateRepositoryAsync(string? name = null, string? url = null, CancellationToken cancellationToken = default)
    {
        var unique = Unique();
        var response = await Client.PostJsonAsync("api/repositories",
            new CreateRepositoryRequest(name ?? "repo-" + unique, url ?? $"https://example.com/acme/{unique}.git"),
            ContractsJsonContext.Default.CreateRepositoryRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.RepositoryDto, cancellationToken);
    }

    public async Task<AgentDto> CreateAgentAsync(string? username = null, string kind = "worker", string runtime = "claude", CancellationToken cancellationToken = default)
    {
        var response = await Client.PostJsonAsync("api/agents",
            new CreateAgentRequest { Username = username ?? "agent-" + Unique(), Kind = kind, Runtime = runtime },
            ContractsJsonContext.Default.CreateAgentRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.AgentDto, cancellationToken);
    }

    public async Task<TaskDto> CreateTaskAsync(CreateTaskRequest request, CancellationToken cancellationToken = default)
    {
        var response = await Client.PostJsonAsync("api/tasks", request, ContractsJsonContext.Default.CreateTaskRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.TaskDto, cancellationToken);
    }

    /// <summary>A task on <paramref name="board"/> (ops boards need no repository), optionally assigned.</summary>
    public Task<TaskDto> CreateTaskAsync(string board, string? assignedTo = null, string? title = null, CancellationToken cancellationToken = default) =>
        CreateTaskAsync(new CreateTaskRequest { BoardId = board, Title = title ?? "task " + Unique(), AssignedTo = assignedTo }, cancellationToken);

    public async Task<TaskDto> GetTaskAsync(string id, CancellationToken cancellationToken = default)
    {
        var response = await Client.GetAsync($"api/tasks/{id}", cancellationToken);
        return await response.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, cancellationToken);
    }

    /// <summary>Registers a machine for this user and returns it with a client using its API key.</summary>
    public async Task<TestMachine> RegisterMachineAsync(string? deviceId = null, CancellationToken cancellationToken = default)
    {
        var response = await Client.PostJsonAsync("api/machines",
            new RegisterMachineRequest
            {
                DeviceId = deviceId ?? "device-" + Unique(),
                Name = "machine-" + Unique(),
                Os = "linux",
                Version = "0.1.0",
                Runtimes = [new RuntimeStatusDto("claude", "ready")],
            },
            ContractsJsonContext.Default.RegisterMachineRequest, cancellationToken);
        var registration = await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.MachineRegistrationDto, cancellationToken);
        return new TestMachine(this, registration.Machine, registration.ApiKey, Server.CreateClient(registration.ApiKey));
    }

    /// <summary>
    /// Everything a worker needs to act: an ops board, a worker agent, a machine, a task assigned to the agent, the
    /// machine's lease on it and an open session (with its JWT-signing client).
    /// </summary>
    public async Task<WorkerSetup> StartWorkerAsync(CancellationToken cancellationToken = default)
    {
        var board = await CreateBoardAsync(cancellationToken: cancellationToken);
        var agent = await CreateAgentAsync(cancellationToken: cancellationToken);
        var machine = await RegisterMachineAsync(cancellationToken: cancellationToken);
        var task = await CreateTaskAsync(board.Id, agent.Id, cancellationToken: cancellationToken);
        var session = await machine.LeaseAndOpenSessionAsync(agent.Id, task.Id, cancellationToken);
        return new WorkerSetup(board, agent, machine, task, session);
    }

    internal static string Unique() => Guid.NewGuid().ToString("N")[..10];
}

/// <summary>What <see cref="TestUser.StartWorkerAsync"/> builds.</summary>
public sealed record WorkerSetup(BoardDto Board, AgentDto Agent, TestMachine Machine, TaskDto Task, TestSession Session);
