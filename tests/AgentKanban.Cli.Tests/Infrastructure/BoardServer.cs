using System.Net.Http.Headers;
using System.Net.Http.Json;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Server;
using Microsoft.AspNetCore.Builder;

namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>
/// A real board server on 127.0.0.1 (a free port) over a fresh SQLite file in a temp directory, shared by
/// the tests of one class. Tests keep to their own boards and names so they can share it.
/// </summary>
public sealed class BoardServer : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private WebApplication? _app;

    public string Url { get; private set; } = "";

    public string AdminToken { get; private set; } = "";

    public string DataDir => _dir.Combine("data");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(DataDir);
        var options = new ServerOptions { DataDir = DataDir, Urls = "http://127.0.0.1:0", PrintAdminToken = false };
        _app = ServerHost.Build(options, TimeProvider.System);
        await _app.StartAsync();
        Url = _app.Urls.First().TrimEnd('/');
        AdminToken = (await File.ReadAllTextAsync(Path.Combine(DataDir, "admin-token"))).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    /// <summary>An in-process <c>ak</c> for a user: AK_SERVER and AK_TOKEN point at this server.</summary>
    public AkCli UserCli(TempDirectory home, string? token = null) =>
        new(home.Path, new Dictionary<string, string?> { ["AK_SERVER"] = Url, ["AK_TOKEN"] = token ?? AdminToken });

    /// <summary>A raw HTTP client with a bearer token, for setting up what the CLI does not do (machines, leases, sessions).</summary>
    public HttpClient Http(string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(Url + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>
    /// Does what a daemon does before an agent runs: registers a machine, leases the task and opens a
    /// session with a fresh keypair. Returns the agent process's environment (AK_SESSION_ID, AK_SESSION_KEY, AK_TASK_ID).
    /// </summary>
    public async Task<AgentIdentity> StartAgentSessionAsync(string taskId, string agentId, CancellationToken ct)
    {
        using var user = Http(AdminToken);
        var registration = await PostAsync(user, "api/machines",
            new RegisterMachineRequest { Name = "test-machine", DeviceId = Guid.NewGuid().ToString("N"), Os = "linux", Version = "test" },
            ContractsJsonContext.Default.RegisterMachineRequest, ContractsJsonContext.Default.MachineRegistrationDto, ct);
        using var machine = Http(registration.ApiKey);
        await PostAsync(machine, $"api/machines/{registration.Machine.Id}/heartbeat",
            new HeartbeatRequest { Version = "test", Runtimes = [new RuntimeStatusDto("claude", "ready")] },
            ContractsJsonContext.Default.HeartbeatRequest, ct);
        using var leaseAnswer = await machine.PostAsync($"api/tasks/{taskId}/lease", null, ct);
        var leaseText = await leaseAnswer.Content.ReadAsStringAsync(ct);
        Assert.True(leaseAnswer.IsSuccessStatusCode, $"lease: {(int)leaseAnswer.StatusCode} {leaseText}");
        var lease = System.Text.Json.JsonSerializer.Deserialize(leaseText, ContractsJsonContext.Default.LeaseDto)!;
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var session = await PostAsync(machine, "api/sessions",
            new OpenSessionRequest
            {
                AgentId = agentId,
                TaskId = taskId,
                Epoch = lease.Epoch,
                PublicKey = publicKey,
            },
            ContractsJsonContext.Default.OpenSessionRequest, ContractsJsonContext.Default.SessionDto, ct);
        return new AgentIdentity(session.Id, privateKey, taskId, registration.Machine.Id, registration.ApiKey);
    }

    private static async Task<TAnswer> PostAsync<TBody, TAnswer>(HttpClient http, string path, TBody body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TBody> bodyInfo,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TAnswer> answerInfo, CancellationToken ct)
    {
        using var response = await http.PostAsync(path, JsonContent.Create(body, bodyInfo), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return System.Text.Json.JsonSerializer.Deserialize(text, answerInfo)!;
    }

    private static async Task PostAsync<TBody>(HttpClient http, string path, TBody body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TBody> bodyInfo, CancellationToken ct)
    {
        using var response = await http.PostAsync(path, JsonContent.Create(body, bodyInfo), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
    }
}

/// <summary>What the daemon hands an agent process: its session identity and task.</summary>
public sealed record AgentIdentity(string SessionId, string PrivateKey, string TaskId, string MachineId, string MachineKey)
{
    public (string, string?)[] Env(string server) =>
    [
        ("AK_SERVER", server),
        ("AK_SESSION_ID", SessionId),
        ("AK_SESSION_KEY", PrivateKey),
        ("AK_TASK_ID", TaskId),
        ("AK_TOKEN", null),
    ];
}
