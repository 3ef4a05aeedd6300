using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>
/// A real board server on 127.0.0.1 for the stream tests (SQLite in a temp dir, or a PostgreSQL database shared by
/// several instances), with the few API calls the tests need. Owns its data dir; the database is dropped by whoever created it.
/// </summary>
internal sealed class StreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private StreamServer(WebApplication app, string dataDir, Uri baseAddress, string adminToken)
    {
        _app = app;
        _dataDir = dataDir;
        BaseAddress = baseAddress;
        AdminToken = adminToken;
        Admin = Client(adminToken);
    }

    public Uri BaseAddress { get; }

    public string AdminToken { get; }

    public HttpClient Admin { get; }

    /// <summary>Starts an instance; <paramref name="postgres"/> null = SQLite. <paramref name="adminToken"/> is for a second instance of a database whose first instance already created the admin.</summary>
    public static async Task<StreamServer> StartAsync(string? postgres, TimeProvider? time, CancellationToken cancellationToken, string? adminToken = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-stream-srv-" + Guid.NewGuid().ToString("N"));
        var app = ServerHost.Build(
            new ServerOptions { DataDir = dataDir, ConnectionString = postgres, Urls = "http://127.0.0.1:0", PrintAdminToken = false },
            time);
        await app.StartAsync(cancellationToken);
        var token = adminToken ?? (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin-token"), cancellationToken)).Trim();
        return new StreamServer(app, dataDir, new Uri(app.Urls.First()), token);
    }

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static Task<BoardDto> CreateBoardAsync(HttpClient client, string name, CancellationToken cancellationToken) =>
        PostAsync(client, "/api/boards", new CreateBoardRequest(name, "ops"), ContractsJsonContext.Default.CreateBoardRequest, ContractsJsonContext.Default.BoardDto, cancellationToken);

    public static Task<TaskDto> CreateTaskAsync(HttpClient client, string boardId, string title, string? assignedTo, CancellationToken cancellationToken) =>
        PostAsync(client, "/api/tasks", new CreateTaskRequest { BoardId = boardId, Title = title, AssignedTo = assignedTo },
            ContractsJsonContext.Default.CreateTaskRequest, ContractsJsonContext.Default.TaskDto, cancellationToken);

    public static Task<AgentDto> CreateAgentAsync(HttpClient client, string username, CancellationToken cancellationToken) =>
        PostAsync(client, "/api/agents", new CreateAgentRequest { Username = username, Runtime = "claude", Kind = "worker" },
            ContractsJsonContext.Default.CreateAgentRequest, ContractsJsonContext.Default.AgentDto, cancellationToken);

    public static Task<MachineRegistrationDto> RegisterMachineAsync(HttpClient client, string deviceId, CancellationToken cancellationToken) =>
        PostAsync(client, "/api/machines", new RegisterMachineRequest { Name = deviceId, DeviceId = deviceId },
            ContractsJsonContext.Default.RegisterMachineRequest, ContractsJsonContext.Default.MachineRegistrationDto, cancellationToken);

    public static Task<UserWithTokenDto> CreateUserAsync(HttpClient admin, string name, CancellationToken cancellationToken) =>
        PostAsync(admin, "/api/users", new CreateUserRequest(name), ContractsJsonContext.Default.CreateUserRequest, ContractsJsonContext.Default.UserWithTokenDto, cancellationToken);

    public static Task<MessageDto> PostMessageAsync(HttpClient client, string taskId, string content, CancellationToken cancellationToken) =>
        PostAsync(client, $"/api/tasks/{taskId}/messages", new MessageRequest(content), ContractsJsonContext.Default.MessageRequest, ContractsJsonContext.Default.MessageDto, cancellationToken);

    public static async Task<TResponse> PostAsync<TRequest, TResponse>(
        HttpClient client,
        string path,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync(path, body, requestType, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"POST {path} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return (await response.Content.ReadFromJsonAsync(responseType, cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
