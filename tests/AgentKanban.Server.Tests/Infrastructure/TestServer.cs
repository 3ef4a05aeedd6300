using System.Net;
using System.Net.Http.Headers;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>How to start a <see cref="TestServer"/> (all optional).</summary>
public sealed record TestServerOptions
{
    /// <summary>Drives the server's clock (leases, sweeper, token expiry); null = the system clock.</summary>
    public TimeProvider? Time { get; init; }

    public TimeSpan? LeaseTtl { get; init; }

    /// <summary>Join this existing PostgreSQL database instead of creating a fresh one (a second instance).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The admin token when joining an existing database (its admin was created by the first instance).</summary>
    public string? AdminToken { get; init; }

    /// <summary>The per-session cap of retained agent events; null = the server's default.</summary>
    public int? AgentEventsPerSession { get; init; }

    /// <summary>How long the event log keeps events; null = the server's default (30 days).</summary>
    public TimeSpan? EventRetention { get; init; }

    /// <summary>The SQLite writer's sync level; null = the server's default.</summary>
    public SqliteSynchronous? SqliteSynchronous { get; init; }

    /// <summary>Reuse this data directory (a restart); it is then left in place when the server is disposed.</summary>
    public string? DataDir { get; init; }

    /// <summary>The GitHub webhook's secret (<c>--github-webhook-secret-file</c>); null = no webhook.</summary>
    public string? GitHubWebhookSecret { get; init; }

    /// <summary>Runs after the server's own registrations, so a test can wrap or replace a service.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}

/// <summary>
/// A real board server (<see cref="ServerHost.Build"/>) on <c>http://127.0.0.1:0</c> backed by a temp SQLite file or a
/// fresh PostgreSQL database, with an admin client and helpers to create users, machines, agents and sessions.
/// Dispose it to stop the server and delete its data.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly bool _ownsDatabase;
    private bool _ownsDataDir = true;
    private readonly List<HttpClient> _clients = [];

    private TestServer(DatabaseKind kind, WebApplication app, string dataDir, string? connectionString, bool ownsDatabase, TimeProvider time, string adminToken)
    {
        Kind = kind;
        App = app;
        DataDir = dataDir;
        ConnectionString = connectionString;
        _ownsDatabase = ownsDatabase;
        Time = time;
        AdminToken = adminToken;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/');
        BaseAddress = new Uri(BaseUrl + "/");
        Admin = CreateClient(adminToken);
    }

    public DatabaseKind Kind { get; }

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public IStorageEngine Storage => App.Services.GetRequiredService<IStorageEngine>();

    /// <summary>The server's data directory (SQLite file, <c>admin-token</c>).</summary>
    public string DataDir { get; }

    /// <summary>The PostgreSQL database's connection string (null for SQLite).</summary>
    public string? ConnectionString { get; }

    public TimeProvider Time { get; }

    /// <summary><c>http://127.0.0.1:PORT</c> (no trailing slash): also the audience of session tokens.</summary>
    public string BaseUrl { get; }

    public Uri BaseAddress { get; }

    public string AdminToken { get; }

    /// <summary>A client authenticated as the admin user.</summary>
    public HttpClient Admin { get; }

    public static async Task<TestServer> StartAsync(DatabaseKind kind, TestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TestServerOptions();
        var dataDir = options.DataDir ?? Path.Combine(Path.GetTempPath(), "ak-server-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        string? connectionString = null;
        var ownsDatabase = false;
        if (kind == DatabaseKind.Postgres)
        {
            connectionString = options.ConnectionString ?? await TestPostgres.CreateDatabaseAsync(cancellationToken);
            ownsDatabase = options.ConnectionString is null;
        }

        var time = options.Time ?? TimeProvider.System;
        var app = ServerHost.Build(new ServerOptions
        {
            DataDir = dataDir,
            ConnectionString = connectionString,
            Urls = "http://127.0.0.1:0",
            LeaseTtl = options.LeaseTtl ?? TimeSpan.FromMinutes(5),
            PrintAdminToken = false,
            AgentEventsPerSession = options.AgentEventsPerSession ?? new ServerOptions { DataDir = dataDir }.AgentEventsPerSession,
            SqliteSynchronous = options.SqliteSynchronous ?? new ServerOptions { DataDir = dataDir }.SqliteSynchronous,
            EventRetention = options.EventRetention ?? new ServerOptions { DataDir = dataDir }.EventRetention,
            GitHubWebhookSecret = options.GitHubWebhookSecret,
        }, time, options.ConfigureServices);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var tokenFile = Path.Combine(dataDir, "admin-token");
        // A second instance on an existing database creates no admin and writes no token file.
        var adminToken = options.AdminToken ?? (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim();
        return new TestServer(kind, app, dataDir, connectionString, ownsDatabase, time, adminToken) { _ownsDataDir = options.DataDir is null };
    }

    /// <summary>Starts another server instance on the same PostgreSQL database (same admin token).</summary>
    public async Task<TestServer> StartAnotherInstanceAsync(CancellationToken cancellationToken = default)
    {
        if (Kind != DatabaseKind.Postgres)
        {
            throw new InvalidOperationException("only PostgreSQL supports several server instances");
        }

        return await StartAsync(Kind, new TestServerOptions { ConnectionString = ConnectionString, Time = Time, AdminToken = AdminToken }, cancellationToken);
    }

    /// <summary>An HttpClient for this server with the given bearer token (null = anonymous). Disposed with the server.</summary>
    public HttpClient CreateClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(token))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>An HttpClient that signs a fresh session JWT (this server's clock and base URL) for every request.</summary>
    public HttpClient CreateSessionClient(string sessionId, string privateKeyPkcs8Base64)
    {
        var client = new HttpClient(new SessionTokenHandler(sessionId, privateKeyPkcs8Base64, BaseUrl, Time) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>A new user (created by the admin) with its own client: its own tenant, so tests do not see each other.</summary>
    public async Task<TestUser> CreateUserAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        var response = await Admin.PostJsonAsync("api/users", new CreateUserRequest(name ?? "user-" + Guid.NewGuid().ToString("N")[..10]),
            ContractsJsonContext.Default.CreateUserRequest, cancellationToken);
        var created = await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.UserWithTokenDto, cancellationToken);
        return new TestUser(this, created.User, created.Token, CreateClient(created.Token));
    }

    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }

            _clients.Clear();
        }

        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        if (ConnectionString is not null && _ownsDatabase)
        {
            await TestPostgres.DropDatabaseAsync(ConnectionString);
        }

        SqliteConnection.ClearAllPools();
        if (_ownsDataDir)
        {
            DeleteDirectory(DataDir);
        }
    }

    /// <summary>Deletes a data directory (best effort: a temp directory left behind is harmless).</summary>
    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
