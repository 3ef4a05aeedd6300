using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Relay;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Daemon.Tests.Relay;

/// <summary>The relay of one run against a real server and a real daemon store: outages, a full buffer, restarts.</summary>
public sealed class SessionEventRelayTests
{
    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;

    [Fact]
    public async Task Through_an_outage_the_newest_events_arrive_in_order_and_the_rest_are_counted_as_dropped()
    {
        await using var setup = await RelaySetup.CreateAsync();
        var options = new AgentEventRelayOptions { BufferCapacity = 50, MaxBatchEvents = 20, FinalFlushTimeout = TimeSpan.FromSeconds(60) };
        await setup.Server.StopAsync();

        var relay = setup.NewRelay(options);
        for (var i = 1; i <= 500; i++)
        {
            relay.Post(new TextBlock("e" + i.ToString(CultureInfo.InvariantCulture)), TimeProvider.System.GetUtcNow());
        }

        await setup.Server.StartAgainAsync();
        await relay.DisposeAsync();

        var stored = await setup.Server.AgentEventsAsync(setup.TaskId);
        var numbers = stored.Select(e => int.Parse(e.Data!.Value.GetProperty("text").GetString()![1..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(500, stored.Count + relay.Dropped);
        Assert.Equal(stored.Count, relay.Delivered);
        Assert.True(relay.Dropped > 0, "a 50-event buffer cannot hold 500 events during an outage");
        Assert.Equal(Enumerable.Range(451, 50), numbers.TakeLast(50));
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(stored.Select(e => e.Seq).Order(), stored.Select(e => e.Seq));
        Assert.Equal(stored.Count, stored.Select(e => e.Seq).Distinct().Count());
    }

    [Fact]
    public async Task A_new_relay_for_the_same_session_numbers_above_the_reservation_of_the_last_one()
    {
        await using var setup = await RelaySetup.CreateAsync();
        var first = setup.NewRelay(new AgentEventRelayOptions());
        first.Post(TurnStarted.Instance, TimeProvider.System.GetUtcNow());
        first.Post(new TextBlock("one"), TimeProvider.System.GetUtcNow());
        first.Post(new SessionInitialized("provider-session", null, null), TimeProvider.System.GetUtcNow());
        await first.DisposeAsync();

        // As after a daemon restart: the store is reopened and a new relay starts for the resumed session.
        await setup.ReopenStoreAsync();
        var second = setup.NewRelay(new AgentEventRelayOptions());
        second.Post(new TextBlock("two"), TimeProvider.System.GetUtcNow());
        await second.DisposeAsync();

        var stored = await setup.Server.AgentEventsAsync(setup.TaskId);
        Assert.Equal([AgentEventKinds.TurnStarted, AgentEventKinds.Text, AgentEventKinds.Text], stored.Select(e => e.Kind));
        Assert.Equal(["one", "two"], stored.Skip(1).Select(e => e.Data!.Value.GetProperty("text").GetString()));
        Assert.Equal([1L, 2L], stored.Take(2).Select(e => e.Seq));
        Assert.True(stored[2].Seq > 2 + new AgentEventRelayOptions().SeqReservationBlock - 1, $"seq {stored[2].Seq} is above the first relay's reservation");
        Assert.Equal(3, first.Delivered + second.Delivered);
    }

    [Fact]
    public async Task A_session_whose_task_was_re_issued_stops_relaying()
    {
        await using var setup = await RelaySetup.CreateAsync();
        // The lease goes back (epoch bumped): the session's events no longer belong to the task.
        await setup.Api.SendRawAsync("DELETE", $"api/tasks/{setup.TaskId}/lease", null, "return-" + setup.TaskId, null, CancellationToken.None);

        var relay = setup.NewRelay(new AgentEventRelayOptions { FinalFlushTimeout = TimeSpan.FromSeconds(60) });
        relay.Post(new TextBlock("too late"), TimeProvider.System.GetUtcNow());
        await relay.DisposeAsync();

        Assert.True(relay.Stopped);
        Assert.Equal(0, relay.Delivered);
        Assert.Empty(await setup.Server.AgentEventsAsync(setup.TaskId));
    }

    /// <summary>A server with a worker session open for a task, and a daemon store for the relay's seq reservations.</summary>
    private sealed class RelaySetup : IAsyncDisposable
    {
        private readonly string _storeDir;
        private readonly HttpClient _http;
        private DaemonDatabase _database;

        private RelaySetup(BoardServer server, string storeDir, DaemonDatabase database, HttpClient http, BoardApiClient api, SessionRecord session, string taskId)
        {
            Server = server;
            _http = http;
            _storeDir = storeDir;
            _database = database;
            Api = api;
            Session = session;
            TaskId = taskId;
        }

        public BoardServer Server { get; }

        public BoardApiClient Api { get; }

        public SessionRecord Session { get; }

        public string TaskId { get; }

        public static async Task<RelaySetup> CreateAsync()
        {
            var server = await BoardServer.StartAsync();
            var board = await server.CreateBoardAsync("relay", "ops");
            var agent = await server.CreateAgentAsync("relay-agent");
            var task = await server.CreateTaskAsync(board.Id, "relay task", agent.Id);
            var registration = await server.PostAsync("api/machines",
                new RegisterMachineRequest { Name = "relay-machine", DeviceId = "relay-device", Os = "linux", Version = "test" },
                Json.RegisterMachineRequest, Json.MachineRegistrationDto);
            using var machine = new HttpClient { BaseAddress = new Uri(server.BaseUrl + "/") };
            machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", registration.ApiKey);
            var lease = await ReadAsync(await machine.PostAsync($"api/tasks/{task.Id}/lease", null), Json.LeaseDto);
            var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
            using var open = new StringContent(JsonSerializer.Serialize(
                new OpenSessionRequest { AgentId = agent.Id, TaskId = task.Id, Epoch = lease.Epoch, PublicKey = publicKey }, Json.OpenSessionRequest),
                Encoding.UTF8, "application/json");
            var serverSession = await ReadAsync(await machine.PostAsync("api/sessions", open), Json.SessionDto);

            var storeDir = TestPaths.NewTempDirectory("relay-store");
            var database = await DaemonDatabase.OpenAsync(Path.Combine(storeDir, "daemon.db"), CancellationToken.None);
            var session = new SessionRecord
            {
                Id = "local-" + serverSession.Id,
                TaskId = task.Id,
                AgentId = agent.Id,
                Runtime = "claude",
                State = SessionState.Active,
                Epoch = lease.Epoch,
                ServerSessionId = serverSession.Id,
                PrivateKey = privateKey,
                PublicKey = publicKey,
                ProviderSessionId = Guid.NewGuid().ToString(),
                CreatedAt = TimeProvider.System.GetUtcNow(),
            };
            var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            return new RelaySetup(server, storeDir, database, http, new BoardApiClient(http, new Uri(server.BaseUrl), registration.ApiKey), session, task.Id);
        }

        public SessionEventRelay NewRelay(AgentEventRelayOptions options) =>
            new(Session, Api, new AgentEventSeqs(new MetaStore(_database)), options, TimeProvider.System, NullLogger.Instance);

        public async Task ReopenStoreAsync()
        {
            var path = _database.Path;
            await _database.DisposeAsync();
            SqliteConnection.ClearAllPools();
            _database = await DaemonDatabase.OpenAsync(path, CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            await _database.DisposeAsync();
            SqliteConnection.ClearAllPools();
            TestPaths.DeleteQuietly(_storeDir);
            _http.Dispose();
            await Server.DisposeAsync();
        }

        private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            return JsonSerializer.Deserialize(text, type)!;
        }
    }
}
