using AgentKanban.Server.Streams;

namespace AgentKanban.Server.Tests.Streams;

public sealed class EventBroadcasterTests
{
    [Fact]
    public void Notify_completes_the_pending_signal_and_arms_a_new_one()
    {
        var broadcaster = new EventBroadcaster();
        var first = broadcaster.NextSignal();

        broadcaster.Notify(5);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.False(broadcaster.NextSignal().IsCompleted);
        Assert.Equal(5, broadcaster.LatestKnownId);
    }

    [Fact]
    public void Latest_known_id_never_goes_back()
    {
        var broadcaster = new EventBroadcaster();

        broadcaster.Notify(9);
        broadcaster.Notify(4);

        Assert.Equal(9, broadcaster.LatestKnownId);
    }

    [Fact]
    public void Every_waiter_of_a_generation_wakes_from_one_notification()
    {
        var broadcaster = new EventBroadcaster();
        var waiters = Enumerable.Range(0, 200).Select(_ => broadcaster.NextSignal()).ToList();

        broadcaster.Notify(1);

        Assert.All(waiters, waiter => Assert.True(waiter.IsCompletedSuccessfully));
        Assert.Single(waiters.Distinct());
    }

    [Fact]
    public void Wake_requests_one_forced_read()
    {
        var broadcaster = new EventBroadcaster();
        var signal = broadcaster.NextSignal();

        broadcaster.Wake();

        Assert.True(signal.IsCompletedSuccessfully);
        Assert.True(broadcaster.TakeForcedRead());
        Assert.False(broadcaster.TakeForcedRead());
    }

    [Fact]
    public async Task Concurrent_notifications_keep_the_highest_id()
    {
        var broadcaster = new EventBroadcaster();

        await Task.WhenAll(Enumerable.Range(1, 64).Select(i => Task.Run(() => broadcaster.Notify(i), TestContext.Current.CancellationToken)));

        Assert.Equal(64, broadcaster.LatestKnownId);
    }
}
