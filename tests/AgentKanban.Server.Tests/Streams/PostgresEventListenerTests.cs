using AgentKanban.Server.Streams;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentKanban.Server.Tests.Streams;

public sealed class PostgresEventListenerTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_commit_on_another_instance_wakes_this_one()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await StreamTestStore.CreateAsync("postgres", signal: null, ct);
        var local = new EventBroadcaster();
        using var listener = NewListener(store, local);
        await listener.StartAsync(ct);
        await listener.Listening.WaitAsync(Guard, ct);

        var woken = local.NextSignal();
        var id = await StreamTestStore.AppendAsync(store.Engine, "task.updated", "u1", "b1", "t1", ct);

        await WaitForIdAsync(local, woken, id, ct);
        Assert.True(local.LatestKnownId >= id);
        await listener.StopAsync(ct);
    }

    [Fact]
    public async Task Listener_comes_back_after_its_connection_is_killed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await StreamTestStore.CreateAsync("postgres", signal: null, ct);
        var local = new EventBroadcaster();
        using var listener = NewListener(store, local);
        await listener.StartAsync(ct);
        await listener.Listening.WaitAsync(Guard, ct);
        Assert.True(local.TakeForcedRead());

        var reconnected = local.NextSignal();
        await KillListenerAsync(store.Location, ct);

        // After re-listening the listener forces one read: whatever was committed in between was not announced.
        while (!local.TakeForcedRead())
        {
            await reconnected.WaitAsync(Guard, ct);
            reconnected = local.NextSignal();
        }

        var woken = local.NextSignal();
        var id = await StreamTestStore.AppendAsync(store.Engine, "task.updated", "u1", "b1", "t1", ct);
        await WaitForIdAsync(local, woken, id, ct);
        Assert.True(local.LatestKnownId >= id);
        await listener.StopAsync(ct);
    }

    [Fact]
    public async Task On_sqlite_the_listener_does_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await StreamTestStore.CreateAsync("sqlite", signal: null, ct);
        using var listener = NewListener(store, new EventBroadcaster());

        await listener.StartAsync(ct);

        // Nothing to listen to: the service ends on its own, reporting itself ready.
        await listener.ExecuteTask!.WaitAsync(Guard, ct);
        Assert.True(listener.ExecuteTask.IsCompletedSuccessfully);
        Assert.True(listener.Listening.IsCompletedSuccessfully);
        await listener.StopAsync(ct);
    }

    private static PostgresEventListener NewListener(StreamTestStore store, EventBroadcaster signal) =>
        new(
            new EventStreamDatabase(store.Engine.OpenConnectionAsync, store.Engine.ConnectionString),
            signal,
            Options.Create(new EventStreamOptions()),
            TimeProvider.System,
            NullLogger<PostgresEventListener>.Instance);

    private static async Task WaitForIdAsync(EventBroadcaster signal, Task woken, long id, CancellationToken cancellationToken)
    {
        while (signal.LatestKnownId < id)
        {
            await woken.WaitAsync(Guard, cancellationToken);
            woken = signal.NextSignal();
        }
    }

    private static async Task KillListenerAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var kill = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity " +
            "WHERE datname = current_database() AND application_name = 'agent-kanban-listener'",
            connection);
        var killed = (long)(await kill.ExecuteScalarAsync(cancellationToken))!;
        Assert.Equal(1, killed);
    }
}
