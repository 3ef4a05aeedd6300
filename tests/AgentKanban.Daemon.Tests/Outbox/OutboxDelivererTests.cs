using System.Text.Json;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Tests.Outbox;

/// <summary>
/// The outbox against a real board server and a real store file, on a fake clock: what the server refuses for good
/// becomes a dead letter (logged once, never sent again) and no longer holds up the reports queued behind it, which keep
/// their order; what may still pass is retried, holding up only its own session's reports.
/// </summary>
public sealed class OutboxDelivererTests : IAsyncLifetime
{
    private BoardServer _server = null!;
    private TempStore _store = null!;
    private OutboxStore _outbox = null!;
    private OutboxDeliverer _deliverer = null!;
    private readonly ListLogger _log = new();
    private BoardDto _board = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await BoardServer.StartAsync();
        _store = await TempStore.CreateAsync();
        _outbox = new OutboxStore(_store.Database);
        var api = new BoardApiClient(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, new Uri(_server.BaseUrl), _server.AdminToken);
        var machine = await api.RegisterMachineAsync(new RegisterMachineRequest { Name = "outbox-test", DeviceId = Guid.NewGuid().ToString() }, Ct);
        api.UseToken(machine.ApiKey);
        _deliverer = new OutboxDeliverer(_outbox, _store.Sessions, api, _store.Time, _log, new NoJitter());
        _board = await _server.CreateBoardAsync("outbox-" + Guid.NewGuid().ToString("N")[..6], "ops");
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_report_refused_for_good_is_a_dead_letter_logged_once_and_the_next_one_of_its_session_goes_out()
    {
        var task = await _server.CreateTaskAsync(_board.Id, "t", null);
        await EnqueueAsync(Why("api/tasks/no-such-task/why", "first", "session-a"), Why($"api/tasks/{task.Id}/why", "second", "session-a"));

        Assert.Equal(1, await _deliverer.DeliverDueAsync(Ct));

        Assert.Equal("second", (await _server.GetTaskAsync(task.Id)).Why);
        var dead = Assert.Single(await _outbox.AllAsync(Ct));
        Assert.Equal("api/tasks/no-such-task/why", dead.Path);
        Assert.Equal(_store.Time.GetUtcNow().ToUnixTimeMilliseconds(), dead.FailedAtMs);
        Assert.Contains("404 not_found", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(1, dead.Attempts);

        // Never sent again, however often the outbox runs; and logged that one time.
        _store.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await _deliverer.DeliverDueAsync(Ct));
        Assert.Equal(1, (await _outbox.AllAsync(Ct))[0].Attempts);
        Assert.Null(await _outbox.NextDueMsAsync(Ct));
        Assert.Single(_log.Entries, e => e.EventId == 4910 && e.Message.Contains("no-such-task", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conflict_is_retried_while_only_its_own_session_waits_and_set_aside_after_its_last_try()
    {
        var leased = await _server.CreateTaskAsync(_board.Id, "never leased here", null);
        var other = await _server.CreateTaskAsync(_board.Id, "other", null);
        var session = TempStore.NewSession(leased.Id);
        // Giving back a lease this machine does not hold: a plain 409 conflict, every time.
        await EnqueueAsync(Reports.ReturnLease(session), Why($"api/tasks/{other.Id}/why", "same session, after it", session.Id));
        await EnqueueAsync(Reports.Why(other.Id, "another group"));

        Assert.Equal(1, await _deliverer.DeliverDueAsync(Ct));
        Assert.Equal("another group", (await _server.GetTaskAsync(other.Id)).Why);
        var pending = await _outbox.AllAsync(Ct);
        Assert.Equal(2, pending.Count);
        Assert.All(pending, i => Assert.Null(i.FailedAtMs));
        Assert.Equal(1, pending[0].Attempts);

        for (var attempt = 2; attempt < DeliveryFailures.ConflictAttempts; attempt++)
        {
            _store.Time.Advance(RetryOptions.Outbox.MaxDelay);
            Assert.Equal(0, await _deliverer.DeliverDueAsync(Ct));
            Assert.Equal(attempt, (await _outbox.AllAsync(Ct))[0].Attempts);
            Assert.Equal("another group", (await _server.GetTaskAsync(other.Id)).Why);
        }

        _store.Time.Advance(RetryOptions.Outbox.MaxDelay);
        Assert.Equal(1, await _deliverer.DeliverDueAsync(Ct));

        Assert.Equal("same session, after it", (await _server.GetTaskAsync(other.Id)).Why);
        var dead = Assert.Single(await _outbox.AllAsync(Ct));
        Assert.Equal(Reports.LeaseReturnKind, dead.Kind);
        Assert.NotNull(dead.FailedAtMs);
        Assert.Contains($"after {DeliveryFailures.ConflictAttempts} attempts", dead.LastError, StringComparison.Ordinal);
        Assert.Contains("409 conflict", dead.LastError, StringComparison.Ordinal);
        Assert.Empty(await _outbox.TasksWithPendingReportsAsync(Ct));
    }

    [Fact]
    public async Task A_report_over_the_servers_size_limit_is_not_sent_and_holds_nothing_up()
    {
        var task = await _server.CreateTaskAsync(_board.Id, "t", null);
        await EnqueueAsync(Why($"api/tasks/{task.Id}/why", new string('é', 700 * 1024), "session-a"), Why($"api/tasks/{task.Id}/why", "small", "session-a"));

        Assert.Equal(1, await _deliverer.DeliverDueAsync(Ct));

        Assert.Equal("small", (await _server.GetTaskAsync(task.Id)).Why);
        var dead = Assert.Single(await _outbox.AllAsync(Ct));
        Assert.Equal(0, dead.Attempts);
        Assert.StartsWith("not sent: its body is ", dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_server_down_reports_wait_for_it_however_long_and_none_is_given_up()
    {
        var task = await _server.CreateTaskAsync(_board.Id, "t", null);
        await EnqueueAsync(Reports.Why(task.Id, "during the outage"));
        await _server.StopAsync();

        for (var attempt = 1; attempt <= DeliveryFailures.ForeignRefusalAttempts + 5; attempt++)
        {
            Assert.Equal(0, await _deliverer.DeliverDueAsync(Ct));
            _store.Time.Advance(RetryOptions.Outbox.MaxDelay);
        }

        var waiting = Assert.Single(await _outbox.AllAsync(Ct));
        Assert.Null(waiting.FailedAtMs);
        Assert.Equal(DeliveryFailures.ForeignRefusalAttempts + 5, waiting.Attempts);

        await _server.StartAgainAsync();
        Assert.Equal(1, await _deliverer.DeliverDueAsync(Ct));
        Assert.Equal("during the outage", (await _server.GetTaskAsync(task.Id)).Why);
        Assert.Empty(await _outbox.AllAsync(Ct));
    }

    private static Report Why(string path, string reason, string sessionId) => new(
        Reports.WhyKind, "why:" + Guid.NewGuid().ToString("N"), "PUT", path,
        JsonSerializer.Serialize(new WhyRequest(reason), ContractsJsonContext.Default.WhyRequest), sessionId);

    private async Task EnqueueAsync(params Report[] reports) =>
        await _store.Database.TransactAsync(_store.Time.GetUtcNow(), async tx =>
        {
            foreach (var report in reports)
            {
                await tx.EnqueueAsync(report, Ct);
            }

            return true;
        }, Ct);

    private sealed class NoJitter : IJitterSource
    {
        public double NextUnit() => 0;
    }

    /// <summary>Keeps what was logged, to count it.</summary>
    private sealed class ListLogger : ILogger<OutboxDeliverer>
    {
        private readonly Lock _gate = new();
        private readonly List<(int EventId, string Message)> _entries = [];

        public IReadOnlyList<(int EventId, string Message)> Entries
        {
            get
            {
                lock (_gate)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate)
            {
                _entries.Add((eventId.Id, formatter(state, exception)));
            }
        }
    }
}
