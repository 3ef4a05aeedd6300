using AgentKanban.Core.Sessions;

namespace AgentKanban.Core.Tests.Sessions;

public sealed class StoredSessionStatesTests
{
    [Theory]
    [InlineData(SessionState.Preparing, 1, "preparing")]
    [InlineData(SessionState.Active, 2, "active")]
    [InlineData(SessionState.RateLimited, 3, "rate_limited")]
    [InlineData(SessionState.Suspended, 4, "suspended")]
    [InlineData(SessionState.InReview, 5, "in_review")]
    [InlineData(SessionState.Completing, 6, "completing")]
    [InlineData(SessionState.Closed, 7, "closed")]
    public void Stored_numbers_and_names_are_fixed(SessionState state, int stored, string name)
    {
        Assert.Equal(stored, state.ToStoredValue());
        Assert.Equal(state, StoredSessionStates.FromStored(stored));
        Assert.Equal(name, state.ToName());
        Assert.True(StoredSessionStates.TryParseName(name, out var parsed));
        Assert.Equal(state, parsed);
    }

    [Fact]
    public void Every_state_has_a_mapping()
    {
        Assert.Equal(Enum.GetValues<SessionState>(), StoredSessionStates.All);
        Assert.Equal(StoredSessionStates.All.Count, StoredSessionStates.All.Select(s => s.ToStoredValue()).Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(-1)]
    public void Unknown_stored_numbers_are_refused(int value)
    {
        Assert.False(StoredSessionStates.TryFromStored(value, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => StoredSessionStates.FromStored(value));
        Assert.False(StoredSessionStates.TryParseName("running", out _));
    }
}
