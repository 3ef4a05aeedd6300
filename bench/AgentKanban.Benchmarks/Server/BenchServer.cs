using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;
using AgentKanban.Server;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentKanban.Benchmarks.Server;

/// <summary>
/// A board server started in this process on loopback (SQLite in a temp dir, or a fresh PostgreSQL database), plus
/// the calls the benchmarks need: a user, a board, a worker agent, a machine, tasks leased with open sessions.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=54329;Username=postgres;Password=ak-test";

    private readonly WebApplication? _app;
    private readonly BenchServerProcess? _child;
    private readonly string _dataDir;
    private readonly string? _database;
    private readonly string? _postgresBase;

    private BenchServer(WebApplication? app, BenchServerProcess? child, string dataDir, string? database, string? postgresBase, string baseUrl, string adminToken)
    {
        _app = app;
        _child = child;
        _dataDir = dataDir;
        _database = database;
        _postgresBase = postgresBase;
        BaseUrl = baseUrl;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(baseUrl + "/"),
        };
        AdminToken = adminToken;
    }

    public string BaseUrl { get; }

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the server runs in another process");

    /// <summary>CPU used by the server (its own process when it runs apart; otherwise this whole process).</summary>
    public TimeSpan ServerCpuTime => _child?.CpuTime ?? Process.GetCurrentProcess().TotalProcessorTime;

    public bool RunsApart => _child is not null;

    public string AdminToken { get; }

    /// <summary>Shared client; every call passes its own Authorization header.</summary>
    public HttpClient Http { get; }

    /// <param name="synchronous">The SQLite writer's sync level (the product always runs <see cref="SqliteSynchronous.Full"/>).</param>
    public static async Task<BenchServer> StartAsync(
        string engine, string postgresBase, bool apart = false, bool withoutStreamFeed = false, SqliteSynchronous synchronous = SqliteSynchronous.Full,
        TimeSpan? leaseTtl = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-bench-server-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        string? database = null;
        string? connectionString = null;
        if (engine == "postgres")
        {
            database = "ak_bench_" + Guid.NewGuid().ToString("N")[..12];
            await using (var connection = new NpgsqlConnection(postgresBase))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
                await create.ExecuteNonQueryAsync();
            }

            connectionString = new NpgsqlConnectionStringBuilder(postgresBase) { Database = database, MaxPoolSize = 100 }.ToString();
        }

        if (apart)
        {
            var child = await BenchServerProcess.StartAsync(dataDir, connectionString, withoutStreamFeed, synchronous);
            return new BenchServer(null, child, dataDir, database, engine == "postgres" ? postgresBase : null, child.BaseUrl, child.AdminToken);
        }

        var app = ServerHost.Build(new ServerOptions
        {
            DataDir = dataDir,
            ConnectionString = connectionString,
            Urls = "http://127.0.0.1:0",
            PrintAdminToken = false,
            SqliteSynchronous = synchronous,
            LeaseTtl = leaseTtl ?? new ServerOptions { DataDir = dataDir }.LeaseTtl,
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        var token = (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin-token"))).Trim();
        return new BenchServer(app, null, dataDir, database, engine == "postgres" ? postgresBase : null, address, token);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string url, string token, object? body, JsonTypeInfo<T> answer, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), ContractsJsonContext.Default), Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode}: {text}");
        }

        return JsonSerializer.Deserialize(text, answer)!;
    }

    /// <summary>A user with an ops board, a worker agent and a registered machine.</summary>
    public async Task<Tenant> CreateTenantAsync()
    {
        var user = await SendAsync(HttpMethod.Post, "api/users", AdminToken, new CreateUserRequest("bench-" + Guid.NewGuid().ToString("N")[..8]),
            ContractsJsonContext.Default.UserWithTokenDto, HttpStatusCode.Created);
        var board = await SendAsync(HttpMethod.Post, "api/boards", user.Token, new CreateBoardRequest("bench", "ops"),
            ContractsJsonContext.Default.BoardDto, HttpStatusCode.Created);
        var agent = await SendAsync(HttpMethod.Post, "api/agents", user.Token, new CreateAgentRequest { Username = "bench-worker", Runtime = "claude" },
            ContractsJsonContext.Default.AgentDto, HttpStatusCode.Created);
        var machine = await SendAsync(HttpMethod.Post, "api/machines", user.Token, new RegisterMachineRequest { DeviceId = "bench-device" },
            ContractsJsonContext.Default.MachineRegistrationDto, HttpStatusCode.Created);
        return new Tenant(user.Token, board.Id, agent.Id, machine.ApiKey);
    }

    /// <summary>Creates a task assigned to the tenant's worker, leases it and opens a session; returns the task and the session's key.</summary>
    public async Task<PreparedTask> PrepareTaskAsync(Tenant tenant)
    {
        var task = await SendAsync(HttpMethod.Post, "api/tasks", tenant.UserToken,
            new CreateTaskRequest { BoardId = tenant.BoardId, Title = "bench task", AssignedTo = tenant.AgentId },
            ContractsJsonContext.Default.TaskDto, HttpStatusCode.Created);
        var lease = await SendAsync(HttpMethod.Post, $"api/tasks/{task.Id}/lease", tenant.MachineKey, null, ContractsJsonContext.Default.LeaseDto, HttpStatusCode.OK);
        var (privateKey, publicKey) = AgentKanban.Contracts.Auth.SessionToken.GenerateKeyPair();
        var session = await SendAsync(HttpMethod.Post, "api/sessions", tenant.MachineKey,
            new OpenSessionRequest { AgentId = tenant.AgentId, TaskId = task.Id, Epoch = lease.Epoch, PublicKey = publicKey },
            ContractsJsonContext.Default.SessionDto, HttpStatusCode.Created);
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
        return new PreparedTask(task.Id, session.Id, key);
    }

    public string SignSessionToken(PreparedTask task) => AgentKanban.Contracts.Auth.SessionToken.Create(task.SessionId, BaseUrl, task.Key, TimeProvider.System.GetUtcNow());

    /// <summary>POSTs a transition; true when it answered 200.</summary>
    public async Task<bool> TransitionAsync(string taskId, string verb, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/tasks/{taskId}/{verb}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response.StatusCode == HttpStatusCode.OK;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_child is not null)
        {
            await _child.DisposeAsync();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_database is not null && _postgresBase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_postgresBase);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Temp files left behind are harmless.
        }
    }
}

internal sealed record Tenant(string UserToken, string BoardId, string AgentId, string MachineKey);

internal sealed record PreparedTask(string TaskId, string SessionId, ECDsa Key);
