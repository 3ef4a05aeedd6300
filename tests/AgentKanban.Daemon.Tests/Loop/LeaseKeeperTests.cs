using AgentKanban.Daemon.Loop;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Daemon.Tests.Loop;

/// <summary>Self-fencing timing: when the agents must stop, with what grace, and what ends a fence.</summary>
public sealed class LeaseKeeperTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(6);

    /// <summary>A clock whose monotonic and wall readings move separately (a suspended machine moves only the wall).</summary>
    private sealed class SplitClock : TimeProvider
    {
        public long Ticks { get; set; } = 1_000_000;
        public DateTimeOffset Wall { get; set; } = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public override DateTimeOffset GetUtcNow() => Wall;

        public void Run(TimeSpan elapsed)
        {
            Ticks += elapsed.Ticks;
            Wall += elapsed;
        }
    }

    private static (LeaseKeeper Keeper, SplitClock Clock, List<TimeSpan> Fences) NewKeeper()
    {
        var clock = new SplitClock();
        var keeper = new LeaseKeeper(new DaemonOptions { HeartbeatInterval = TimeSpan.FromSeconds(30), StopGracePeriod = TimeSpan.FromSeconds(10) },
            clock, NullLogger<LeaseKeeper>.Instance);
        var fences = new List<TimeSpan>();
        keeper.LeasesUnconfirmed += fences.Add;
        return (keeper, clock, fences);
    }

    [Theory]
    // Unconfirmed for (seconds) → fenced? With a 6 s lease the fence point is 4 s.
    [InlineData(0.0, false)]
    [InlineData(3.9, false)]
    [InlineData(4.0, true)]
    [InlineData(30.0, true)]
    public void Agents_stop_when_no_heartbeat_was_confirmed_for_two_thirds_of_the_lease(double unconfirmedSeconds, bool fenced)
    {
        var (keeper, clock, fences) = NewKeeper();
        keeper.Confirmed(clock.GetTimestamp(), clock.GetUtcNow(), Ttl);
        clock.Run(TimeSpan.FromSeconds(unconfirmedSeconds));

        keeper.CheckDeadline();

        Assert.Equal(fenced ? [TimeSpan.FromSeconds(1)] : [], fences);
        Assert.Equal(!fenced, keeper.MayRun);
    }

    [Fact]
    public void The_schedule_follows_the_lease_the_server_announces()
    {
        var (keeper, clock, _) = NewKeeper();
        Assert.False(keeper.MayRun); // Nothing confirmed yet: nothing starts.
        Assert.Equal(TimeSpan.FromSeconds(30), keeper.HeartbeatInterval); // The configured interval, within the default 5 min lease.

        keeper.Confirmed(clock.GetTimestamp(), clock.GetUtcNow(), Ttl);

        Assert.True(keeper.MayRun);
        Assert.Equal(TimeSpan.FromSeconds(2), keeper.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), keeper.RetryInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), keeper.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), keeper.FenceStopGrace);
        // The next check comes no later than a second from now, even with 4 s to go.
        Assert.Equal(TimeSpan.FromSeconds(1), keeper.CheckDeadline());
    }

    [Fact]
    public void A_machine_that_slept_past_the_fence_point_stops_its_agents_on_waking()
    {
        var (keeper, clock, fences) = NewKeeper();
        keeper.Confirmed(clock.GetTimestamp(), clock.GetUtcNow(), Ttl);

        // Suspended for an hour: the monotonic clock stood still, the wall clock did not.
        clock.Wall += TimeSpan.FromHours(1);
        keeper.CheckDeadline();

        Assert.Single(fences);
        Assert.False(keeper.MayRun);
    }

    [Fact]
    public void A_wall_clock_set_back_does_not_stretch_the_lease()
    {
        var (keeper, clock, fences) = NewKeeper();
        keeper.Confirmed(clock.GetTimestamp(), clock.GetUtcNow(), Ttl);

        clock.Ticks += TimeSpan.FromSeconds(5).Ticks;
        clock.Wall -= TimeSpan.FromHours(1);
        keeper.CheckDeadline();

        Assert.Single(fences);
    }

    [Fact]
    public void A_confirmation_after_a_fence_lets_sessions_continue_and_fences_only_once()
    {
        var (keeper, clock, fences) = NewKeeper();
        var again = 0;
        keeper.LeasesConfirmedAgain += () => again++;
        keeper.Confirmed(clock.GetTimestamp(), clock.GetUtcNow(), Ttl);
        clock.Run(TimeSpan.FromSeconds(5));
        keeper.CheckDeadline();
        clock.Run(TimeSpan.FromSeconds(5));
        keeper.CheckDeadline();
        Assert.Single(fences);

        keeper.Confirmed(clock.GetTimestamp(), clock.GetUtcNow(), Ttl);

        Assert.True(keeper.MayRun);
        Assert.Equal(1, again);
        // A late answer to an older heartbeat does not move the confirmation back.
        keeper.Confirmed(clock.GetTimestamp() - TimeSpan.FromSeconds(20).Ticks, clock.GetUtcNow() - TimeSpan.FromSeconds(20), Ttl);
        clock.Run(TimeSpan.FromSeconds(3));
        keeper.CheckDeadline();
        Assert.Single(fences);
    }
}
