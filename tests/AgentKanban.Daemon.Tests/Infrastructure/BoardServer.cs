using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;
using AgentKanban.Server;
using Microsoft.AspNetCore.Builder;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>
/// A real board server (<see cref="ServerHost"/>, SQLite) on a fixed loopback port, so it can be stopped and started
/// again at the same address (an outage) with its data intact. Helpers act as the admin user.
/// </summary>
public sealed class BoardServer : IAsyncDisposable
{
    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;
    private readonly TimeSpan _leaseTtl;
    private readonly TimeSpan? _eventRetention;
    private WebApplication? _app;

    private BoardServer(int port, string dataDir, TimeSpan leaseTtl, TimeSpan? eventRetention, string? connectionString)
    {
        Port = port;
        DataDir = dataDir;
        _leaseTtl = leaseTtl;
        _eventRetention = eventRetention;
        ConnectionString = connectionString;
        BaseUrl = $"http://127.0.0.1:{port}";
        Admin = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The GitHub webhook secret every test server runs with (<c>POST /api/webhooks/github</c>).</summary>
    public const string WebhookSecret = "daemon-tests-webhook-secret";

    public int Port { get; }
    public string DataDir { get; }

    /// <summary>The server's PostgreSQL database (a fresh one, dropped on dispose), or null for SQLite in <see cref="DataDir"/>.</summary>
    public string? ConnectionString { get; }
    public string BaseUrl { get; }
    public string AdminToken { get; private set; } = string.Empty;
    public HttpClient Admin { get; }
    public bool IsRunning => _app is not null;

    /// <summary>The running server's services (its background jobs, for tests that drive them).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the server is not running");

    /// <param name="leaseTtl">How long a dispatch lease lives (default 5 minutes).</param>
    /// <param name="eventRetention">How old an event of the log must be to be pruned (default: the server's 30 days).</param>
    /// <param name="postgres">On a fresh PostgreSQL database of the test server instead of SQLite.</param>
    public static async Task<BoardServer> StartAsync(TimeSpan? leaseTtl = null, TimeSpan? eventRetention = null, bool postgres = false)
    {
        var connectionString = postgres ? await Server.Tests.Infrastructure.TestPostgres.CreateDatabaseAsync() : null;
        var server = new BoardServer(FreePort(), TestPaths.NewTempDirectory("server"), leaseTtl ?? TimeSpan.FromMinutes(5), eventRetention, connectionString);
        await server.StartAgainAsync();
        server.AdminToken = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "admin-token"))).Trim();
        server.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken);
        return server;
    }

    /// <summary>Starts the server (again) on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        var options = new ServerOptions
        {
            DataDir = DataDir,
            ConnectionString = ConnectionString,
            Urls = BaseUrl,
            LeaseTtl = _leaseTtl,
            PrintAdminToken = false,
            GitHubWebhookSecret = WebhookSecret,
        };
        var app = ServerHost.Build(_eventRetention is { } retention ? options with { EventRetention = retention } : options);
        await app.StartAsync();
        _app = app;
    }

    /// <summary>Stops the server: clients get connection refused until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Admin.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (ConnectionString is not null)
        {
            await Server.Tests.Infrastructure.TestPostgres.DropDatabaseAsync(ConnectionString);
        }

        TestPaths.DeleteQuietly(DataDir);
    }

    public Task<BoardDto> CreateBoardAsync(string name, string type) =>
        PostAsync("api/boards", new CreateBoardRequest(name, type), Json.CreateBoardRequest, Json.BoardDto);

    public Task<RepositoryDto> CreateRepositoryAsync(string name, string url) =>
        PostAsync("api/repositories", new CreateRepositoryRequest(name, url), Json.CreateRepositoryRequest, Json.RepositoryDto);

    public Task<AgentDto> CreateAgentAsync(string username, string runtime = "claude") =>
        PostAsync("api/agents", new CreateAgentRequest { Username = username, Runtime = runtime, Kind = "worker" }, Json.CreateAgentRequest, Json.AgentDto);

    public Task<TaskDto> CreateTaskAsync(string boardId, string title, string? assignee, string? description = null, string? repositoryId = null) =>
        PostAsync("api/tasks", new CreateTaskRequest
        {
            BoardId = boardId,
            Title = title,
            AssignedTo = assignee,
            Description = description,
            RepositoryId = repositoryId,
        }, Json.CreateTaskRequest, Json.TaskDto);

    public Task<TaskDto> GetTaskAsync(string id) => GetAsync($"api/tasks/{id}", Json.TaskDto);

    public Task<List<SessionDto>> SessionsAsync(string taskId) => GetAsync($"api/sessions?task_id={taskId}", Json.ListSessionDto);

    /// <summary>The live agent events the server keeps for a task, oldest first.</summary>
    public Task<List<AgentEventDto>> AgentEventsAsync(string taskId) => GetAsync($"api/tasks/{taskId}/agent-events", Json.ListAgentEventDto);

    public Task<MachineDto> MachineAsync(string id) => GetAsync($"api/machines/{id}", Json.MachineDto);

    public Task<TaskDto> TransitionAsync(string taskId, string action, string? reason = null) =>
        PostAsync($"api/tasks/{taskId}/{action}", new TransitionRequest(Reason: reason), Json.TransitionRequest, Json.TaskDto);

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type)
    {
        using var response = await Admin.GetAsync(path);
        return await ReadAsync(response, type);
    }

    public async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType)
    {
        using var content = new StringContent(JsonSerializer.Serialize(body, requestType), Encoding.UTF8, "application/json");
        using var response = await Admin.PostAsync(path, content);
        return await ReadAsync(response, responseType);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode}: {text}", null, response.StatusCode);
        }

        return JsonSerializer.Deserialize(text, type)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
