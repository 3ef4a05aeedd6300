using AgentKanban.Server.Streams;

namespace AgentKanban.Server.Tests.Streams;

public sealed class EventWindowTests
{
    [Fact]
    public void Empty_window_covers_nothing_after_the_starting_point()
    {
        var window = EventWindow.Empty(10);

        Assert.Equal(10, window.CoveredFrom);
        Assert.Equal(10, window.CoveredTo);
        Assert.Equal(0, window.Events.Length);
    }

    [Fact]
    public void Append_keeps_everything_within_capacity()
    {
        var window = EventWindow.Empty(0).Append(Events(1, 2, 3), capacity: 10).Append(Events(5, 8), capacity: 10);

        Assert.Equal(0, window.CoveredFrom);
        Assert.Equal(8, window.CoveredTo);
        Assert.Equal([1L, 2, 3, 5, 8], Ids(window));
    }

    [Fact]
    public void Trimming_raises_the_lower_bound_to_the_newest_dropped_id()
    {
        var window = EventWindow.Empty(0).Append(Events(1, 2, 3), capacity: 4).Append(Events(4, 6, 9), capacity: 4);

        Assert.Equal(2, window.CoveredFrom);
        Assert.Equal(9, window.CoveredTo);
        Assert.Equal([3L, 4, 6, 9], Ids(window));
    }

    [Fact]
    public void A_batch_larger_than_capacity_keeps_only_its_tail()
    {
        var window = EventWindow.Empty(0).Append(Events(1, 2), capacity: 2).Append(Events(3, 4, 5, 6), capacity: 2);

        Assert.Equal(4, window.CoveredFrom);
        Assert.Equal([5L, 6], Ids(window));
    }

    [Fact]
    public void Appending_nothing_returns_the_same_window()
    {
        var window = EventWindow.Empty(3);

        Assert.Same(window, window.Append([], capacity: 5));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 3)]
    [InlineData(5, 3)]
    [InlineData(8, 4)]
    [InlineData(9, 4)]
    [InlineData(16, 5)]
    public void IndexAfter_finds_the_first_newer_event(long cursor, int expected)
    {
        var window = EventWindow.Empty(0).Append(Events(1, 2, 4, 8, 16), capacity: 10);

        Assert.Equal(expected, window.IndexAfter(cursor));
    }

    [Fact]
    public void Replaced_completes_only_when_marked()
    {
        var window = EventWindow.Empty(0);
        Assert.False(window.Replaced.IsCompleted);

        window.MarkReplaced();

        Assert.True(window.Replaced.IsCompletedSuccessfully);
    }

    internal static List<StoredEvent> Events(params long[] ids) =>
        [.. ids.Select(id => new StoredEvent(id, "task.updated", "owner", "b", "t", null, null, ReadOnlyMemory<byte>.Empty))];

    private static long[] Ids(EventWindow window) => window.Events.ToArray().Select(e => e.Id).ToArray();
}
