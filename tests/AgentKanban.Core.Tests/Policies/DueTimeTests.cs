using AgentKanban.Core.Policies;

namespace AgentKanban.Core.Tests.Policies;

public sealed class DueTimeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<int, int, int, int> Cases() => new()
    {
        // decided at (min), due (min), now (min), expected effective due (min)
        { 0, 60, 0, 60 },      // as decided
        { 0, 60, 30, 60 },     // clock moved on normally
        { 0, 60, 90, 60 },     // overdue
        { 0, 60, -30, 30 },    // clock went back 30 min: still at most 60 min from now
        { 0, 60, -600, -540 }, // clock went back 10 h
        { 0, 0, -30, 0 },      // nothing to wait for: unchanged
        { 0, -5, -30, -5 },    // due before it was decided: unchanged
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Effective_due_time_never_waits_longer_than_decided(int decided, int due, int now, int expected)
    {
        var effective = DueTime.Effective(T0.AddMinutes(due), T0.AddMinutes(decided), T0.AddMinutes(now));

        Assert.Equal(T0.AddMinutes(expected), effective);
        Assert.Equal(now >= expected, DueTime.HasPassed(T0.AddMinutes(due), T0.AddMinutes(decided), T0.AddMinutes(now)));
        var remaining = DueTime.Remaining(T0.AddMinutes(due), T0.AddMinutes(decided), T0.AddMinutes(now));
        Assert.Equal(TimeSpan.FromMinutes(Math.Max(0, expected - now)), remaining);
        var (rebasedDue, rebasedAt) = DueTime.Rebase(T0.AddMinutes(due), T0.AddMinutes(decided), T0.AddMinutes(now));
        Assert.Equal(T0.AddMinutes(expected), rebasedDue);
        Assert.Equal(T0.AddMinutes(Math.Min(decided, now)), rebasedAt);
    }

    [Fact]
    public void A_rebased_due_time_is_reached_after_the_decided_wait_of_clock_time()
    {
        var clock = new ManualClock(T0);
        var due = T0.AddHours(1);
        var decidedAt = T0;
        clock.Advance(TimeSpan.FromMinutes(20));
        clock.Set(T0.AddHours(-3)); // the clock is set back three hours

        // The store rebases what it reads and keeps the result.
        (due, decidedAt) = DueTime.Rebase(due, decidedAt, clock.GetUtcNow());
        var steps = 0;
        while (!DueTime.HasPassed(due, decidedAt, clock.GetUtcNow()))
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            (due, decidedAt) = DueTime.Rebase(due, decidedAt, clock.GetUtcNow());
            steps++;
        }

        Assert.Equal(60, steps);
    }
}
