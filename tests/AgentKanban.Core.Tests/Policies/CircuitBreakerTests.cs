using AgentKanban.Core.Policies;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Core.Tests.Policies;

public sealed class CircuitBreakerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CircuitBreakerOptions Options = new()
    {
        FailureThreshold = 3,
        BaseCooldown = TimeSpan.FromMinutes(30),
        MaxCooldown = TimeSpan.FromHours(2),
        ProbeTimeout = TimeSpan.FromHours(1),
    };

    [Fact]
    public void Closed_allows_and_counts_failures_up_to_the_threshold()
    {
        var state = CircuitBreakerState.Closed;
        Assert.Equal(DispatchPermission.Allowed, CircuitBreaker.Check(state, T0, Options).Permission);

        state = CircuitBreaker.OnPreClaimFailure(state, T0, Options);
        state = CircuitBreaker.OnPreClaimFailure(state, T0, Options);
        Assert.Equal(CircuitStatus.Closed, state.Status);
        Assert.Equal(2, state.ConsecutiveFailures);
        Assert.True(CircuitBreaker.Check(state, T0, Options).MayDispatch);

        state = CircuitBreaker.OnPreClaimFailure(state, T0, Options);
        Assert.Equal(CircuitStatus.Open, state.Status);
        Assert.Equal(1, state.TimesOpened);
        Assert.Equal(T0.AddMinutes(30), state.OpenUntil);
        var check = CircuitBreaker.Check(state, T0, Options);
        Assert.Equal(new CircuitCheck(DispatchPermission.Denied, T0.AddMinutes(30)), check);
    }

    [Fact]
    public void A_success_in_between_resets_the_count()
    {
        var state = CircuitBreaker.OnPreClaimFailure(CircuitBreakerState.Closed, T0, Options);
        state = CircuitBreaker.OnPreClaimFailure(state, T0, Options);
        state = CircuitBreaker.OnWorkflowEntered(state);
        state = CircuitBreaker.OnPreClaimFailure(state, T0, Options);
        Assert.Equal(CircuitStatus.Closed, state.Status);
        Assert.Equal(1, state.ConsecutiveFailures);
    }

    [Fact]
    public void Open_then_one_probe_then_closed_on_success()
    {
        var clock = new FakeTimeProvider(T0);
        var state = Open(clock.GetUtcNow());

        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(DispatchPermission.Denied, CircuitBreaker.Check(state, clock.GetUtcNow(), Options).Permission);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(DispatchPermission.AllowedAsProbe, CircuitBreaker.Check(state, clock.GetUtcNow(), Options).Permission);

        state = CircuitBreaker.OnProbeStarted(state, clock.GetUtcNow());
        Assert.Equal(CircuitStatus.HalfOpen, state.Status);
        // Only one probe at a time.
        Assert.Equal(DispatchPermission.Denied, CircuitBreaker.Check(state, clock.GetUtcNow(), Options).Permission);

        state = CircuitBreaker.OnWorkflowEntered(state);
        Assert.Equal(CircuitBreakerState.Closed, state);
    }

    [Fact]
    public void A_failed_probe_reopens_with_a_doubled_cooldown_up_to_the_cap()
    {
        var now = T0;
        var state = Open(now);
        var cooldowns = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            now = state.OpenUntil!.Value;
            Assert.Equal(DispatchPermission.AllowedAsProbe, CircuitBreaker.Check(state, now, Options).Permission);
            state = CircuitBreaker.OnProbeStarted(state, now);
            state = CircuitBreaker.OnPreClaimFailure(state, now, Options);
            Assert.Equal(CircuitStatus.Open, state.Status);
            cooldowns.Add(state.OpenUntil!.Value - now);
        }

        Assert.Equal(new[] { 60, 120, 120, 120 }.Select(m => TimeSpan.FromMinutes(m)), cooldowns);
    }

    [Fact]
    public void An_abandoned_probe_lets_another_probe_go_at_once()
    {
        var state = CircuitBreaker.OnProbeStarted(Open(T0), T0.AddMinutes(30));
        state = CircuitBreaker.OnProbeAbandoned(state, T0.AddMinutes(31));
        Assert.Equal(CircuitStatus.Open, state.Status);
        Assert.Equal(DispatchPermission.AllowedAsProbe, CircuitBreaker.Check(state, T0.AddMinutes(31), Options).Permission);
        Assert.Equal(1, state.TimesOpened);
    }

    [Fact]
    public void A_probe_that_never_reports_stops_blocking_after_its_timeout()
    {
        var state = CircuitBreaker.OnProbeStarted(Open(T0), T0.AddMinutes(30));
        Assert.Equal(DispatchPermission.Denied, CircuitBreaker.Check(state, T0.AddMinutes(89), Options).Permission);
        Assert.Equal(DispatchPermission.AllowedAsProbe, CircuitBreaker.Check(state, T0.AddMinutes(90), Options).Permission);
    }

    [Fact]
    public void Stragglers_failing_while_open_do_not_extend_the_window()
    {
        var state = Open(T0);
        var later = CircuitBreaker.OnPreClaimFailure(state, T0.AddMinutes(10), Options);
        Assert.Equal(state.OpenUntil, later.OpenUntil);
        Assert.Equal(state.ConsecutiveFailures + 1, later.ConsecutiveFailures);
    }

    [Fact]
    public void The_clock_jumping_back_never_stretches_the_cooldown()
    {
        var clock = new ManualClock(T0);
        var state = Open(clock.GetUtcNow());
        clock.Set(T0.AddHours(-6));
        Assert.Equal(clock.GetUtcNow().AddMinutes(30), CircuitBreaker.Check(state, clock.GetUtcNow(), Options).RetryAt);

        state = CircuitBreaker.Rebase(state, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(DispatchPermission.Denied, CircuitBreaker.Check(state, clock.GetUtcNow(), Options).Permission);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(DispatchPermission.AllowedAsProbe, CircuitBreaker.Check(state, clock.GetUtcNow(), Options).Permission);

        // A probe started before the jump times out one probe timeout after the jump, not later.
        var probing = CircuitBreaker.OnProbeStarted(state, clock.GetUtcNow());
        clock.Set(clock.GetUtcNow().AddHours(-3));
        probing = CircuitBreaker.Rebase(probing, clock.GetUtcNow());
        Assert.Equal(clock.GetUtcNow(), probing.ProbeStartedAt);
        clock.Advance(Options.ProbeTimeout);
        Assert.Equal(DispatchPermission.AllowedAsProbe, CircuitBreaker.Check(probing, clock.GetUtcNow(), Options).Permission);
    }

    [Fact]
    public void Rebase_leaves_a_state_alone_when_the_clock_is_sane()
    {
        var state = Open(T0);
        Assert.Equal(state, CircuitBreaker.Rebase(state, T0.AddMinutes(5)));
        Assert.Equal(CircuitBreakerState.Closed, CircuitBreaker.Rebase(CircuitBreakerState.Closed, T0));
    }

    [Fact]
    public void Probe_and_abandon_do_nothing_to_a_closed_circuit()
    {
        Assert.Equal(CircuitBreakerState.Closed, CircuitBreaker.OnProbeStarted(CircuitBreakerState.Closed, T0));
        Assert.Equal(CircuitBreakerState.Closed, CircuitBreaker.OnProbeAbandoned(CircuitBreakerState.Closed, T0));
    }

    [Theory]
    [InlineData(CircuitStatus.Closed, 0)]
    [InlineData(CircuitStatus.Open, 1)]
    [InlineData(CircuitStatus.HalfOpen, 2)]
    public void Stored_numbers_are_fixed(CircuitStatus status, int stored)
    {
        Assert.Equal(stored, (int)status);
    }

    private static CircuitBreakerState Open(DateTimeOffset now)
    {
        var state = CircuitBreakerState.Closed;
        for (var i = 0; i < Options.FailureThreshold; i++)
        {
            state = CircuitBreaker.OnPreClaimFailure(state, now, Options);
        }

        Assert.Equal(CircuitStatus.Open, state.Status);
        return state;
    }
}
