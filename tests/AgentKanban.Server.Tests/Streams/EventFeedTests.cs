using System.Text;
using AgentKanban.Server.Streams;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Server.Tests.Streams;

public sealed class EventFeedTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Engines => ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Committed_events_reach_the_window_once_and_in_order(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        var broadcaster = new EventBroadcaster();
        await using var store = await StreamTestStore.CreateAsync(engine, broadcaster, ct);
        using var feed = NewFeed(store, broadcaster, TimeProvider.System);
        await feed.StartAsync(ct);
        var start = await feed.CurrentAsync(ct);

        long last = 0;
        for (var i = 0; i < 5; i++)
        {
            last = await StreamTestStore.AppendAsync(store.Engine, "task.updated", "u1", "b1", "t" + i, ct);
        }

        var window = await CoveringAsync(feed, last, ct);
        var held = window.Events.ToArray().Where(e => e.Id > start.CoveredTo).ToList();
        Assert.Equal(["t0", "t1", "t2", "t3", "t4"], held.Select(e => e.TaskId));
        Assert.Equal(held.Select(e => e.Id).Order(), held.Select(e => e.Id));
        Assert.StartsWith($"id: {held[0].Id}\nevent: task.updated\ndata: {{\"id\":{held[0].Id},", Encoding.UTF8.GetString(held[0].Frame.Span), StringComparison.Ordinal);
        await feed.StopAsync(ct);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Safety_poll_reads_an_event_nobody_announced(string engine)
    {
        var ct = TestContext.Current.CancellationToken;
        var broadcaster = new EventBroadcaster();
        var time = new FakeTimeProvider();
        // The store does not signal: the first event is announced by hand, the second never.
        await using var store = await StreamTestStore.CreateAsync(engine, signal: null, ct);
        using var feed = NewFeed(store, broadcaster, time);
        await feed.StartAsync(ct);
        await feed.CurrentAsync(ct);

        var announced = await StreamTestStore.AppendAsync(store.Engine, "task.updated", "u1", "b1", "t1", ct);
        broadcaster.Notify(announced);
        await CoveringAsync(feed, announced, ct);

        var silent = await StreamTestStore.AppendAsync(store.Engine, "task.updated", "u1", "b1", "t2", ct);
        var before = await feed.CurrentAsync(ct);
        Assert.True(before.CoveredTo < silent);
        time.Advance(new EventStreamOptions().SafetyPollInterval);

        var window = await CoveringAsync(feed, silent, ct);
        Assert.Equal("t2", window.Events[^1].TaskId);
        await feed.StopAsync(ct);
    }

    [Fact]
    public async Task Window_trims_and_old_events_stay_readable_from_the_log()
    {
        var ct = TestContext.Current.CancellationToken;
        var broadcaster = new EventBroadcaster();
        await using var store = await StreamTestStore.CreateAsync("sqlite", broadcaster, ct);
        var options = new EventStreamOptions { WindowCapacity = 3, ReadBatchSize = 2 };
        using var feed = new EventFeed(new DbEventLog(store.Engine.OpenConnectionAsync), broadcaster, Options.Create(options), TimeProvider.System, NullLogger<EventFeed>.Instance);
        await feed.StartAsync(ct);
        var start = (await feed.CurrentAsync(ct)).CoveredTo;

        long last = 0;
        for (var i = 0; i < 7; i++)
        {
            last = await StreamTestStore.AppendAsync(store.Engine, "task.updated", "u1", "b1", "t" + i, ct);
        }

        var window = await CoveringAsync(feed, last, ct);
        Assert.Equal(3, window.Events.Length);
        Assert.Equal(window.Events[0].Id - 1, window.CoveredFrom);

        var older = await new DbEventLog(store.Engine.OpenConnectionAsync).ReadAsync(start, window.CoveredFrom, scope: null, limit: 100, ct);
        Assert.Equal(["t0", "t1", "t2", "t3"], older.Select(e => e.TaskId));
        await feed.StopAsync(ct);
    }

    private static EventFeed NewFeed(StreamTestStore store, EventBroadcaster broadcaster, TimeProvider time) =>
        new(new DbEventLog(store.Engine.OpenConnectionAsync), broadcaster, Options.Create(new EventStreamOptions()), time, NullLogger<EventFeed>.Instance);

    /// <summary>Waits (with a hang guard, not a timing assertion) until the feed's window covers <paramref name="id"/>.</summary>
    private static async Task<EventWindow> CoveringAsync(EventFeed feed, long id, CancellationToken cancellationToken)
    {
        var window = await feed.CurrentAsync(cancellationToken);
        while (window.CoveredTo < id)
        {
            await window.Replaced.WaitAsync(Guard, cancellationToken);
            window = await feed.CurrentAsync(cancellationToken);
        }

        return window;
    }
}
