using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Core.Tests.Policies;

public sealed class RateLimitPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static RateLimitEvent Rejected(int? resetMin = null, RateLimitStatus? overage = null, int? overageResetMin = null) => new(
        RateLimitStatus.Rejected,
        resetMin is { } r ? T0.AddMinutes(r) : null,
        "five_hour",
        false,
        overage,
        overageResetMin is { } o ? T0.AddMinutes(o) : null,
        null);

    private static RateLimitEvent Allowed(RateLimitStatus status = RateLimitStatus.Allowed, bool onOverage = false) =>
        new(status, T0.AddHours(2), "five_hour", onOverage, null, null, 0.5);

    public static TheoryData<string, RateLimitEvent, int, PauseSource> RejectionCases() => new()
    {
        // name, signal, expected pause in seconds from T0, source
        { "main reset only", Rejected(resetMin: 30), 30 * 60, PauseSource.ProviderReset },
        { "overage rejected, resets later: later wins", Rejected(30, RateLimitStatus.Rejected, 90), 90 * 60, PauseSource.ProviderReset },
        { "overage rejected, resets earlier: main wins", Rejected(90, RateLimitStatus.Rejected, 30), 90 * 60, PauseSource.ProviderReset },
        { "overage allowed: its reset is ignored", Rejected(30, RateLimitStatus.Allowed, 90), 30 * 60, PauseSource.ProviderReset },
        { "overage warning: its reset is ignored", Rejected(30, RateLimitStatus.AllowedWarning, 90), 30 * 60, PauseSource.ProviderReset },
        { "only an overage reset, overage rejected", Rejected(null, RateLimitStatus.Rejected, 45), 45 * 60, PauseSource.ProviderReset },
        { "only an overage reset, overage allowed: no reset known", Rejected(null, RateLimitStatus.Allowed, 45), 3600, PauseSource.NoResetGiven },
        { "no reset at all: one hour", Rejected(), 3600, PauseSource.NoResetGiven },
        { "no minimum pause: a reset 1 s ahead is honoured", Rejected() with { ResetsAt = T0.AddSeconds(1) }, 1, PauseSource.ProviderReset },
    };

    [Theory]
    [MemberData(nameof(RejectionCases))]
    public void Rejection_pauses_until_the_right_time(string name, RateLimitEvent signal, int seconds, PauseSource source)
    {
        var decision = RateLimitPolicy.Decide(signal, null, T0);

        Assert.Equal(RateLimitAction.Pause, decision.Action);
        Assert.NotNull(decision.Pause);
        Assert.True(T0.AddSeconds(seconds) == decision.Pause.Until, name);
        Assert.Equal(source, decision.Pause.Source);
        Assert.Equal(T0, decision.Pause.DecidedAt);
    }

    [Theory]
    [InlineData(0, 5)]    // reset exactly now: already passed
    [InlineData(-10, 5)]  // reset in the past
    public void A_reset_in_the_past_gets_a_short_backoff_without_a_floor(int resetMin, int backoffSeconds)
    {
        var decision = RateLimitPolicy.Decide(Rejected(resetMin), null, T0);

        Assert.Equal(PauseSource.PastResetBackoff, decision.Pause!.Source);
        Assert.Equal(T0.AddSeconds(backoffSeconds), decision.Pause.Until);
        Assert.Equal(1, decision.Pause.PastResetStreak);
    }

    [Fact]
    public void Repeated_past_resets_back_off_doubling_up_to_the_cap()
    {
        var now = T0;
        RuntimePause? pause = null;
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 10; i++)
        {
            var signal = Rejected() with { ResetsAt = now.AddMinutes(-1) };
            pause = RateLimitPolicy.Decide(signal, pause, now).Pause!;
            waits.Add(pause.Until - now);
            now = pause.Until; // the retry happens when the pause ends
        }

        Assert.Equal(
            new[] { 5, 10, 20, 40, 80, 160, 300, 300, 300, 300 }.Select(s => TimeSpan.FromSeconds(s)),
            waits);
    }

    [Fact]
    public void An_allowed_signal_ends_the_past_reset_streak()
    {
        var pause = RateLimitPolicy.Decide(Rejected(-1), null, T0).Pause;
        Assert.Equal(RateLimitAction.Clear, RateLimitPolicy.Decide(Allowed(), pause, T0.AddMinutes(1)).Action);

        var next = RateLimitPolicy.Decide(Rejected(-1), null, T0.AddMinutes(2)).Pause!;
        Assert.Equal(1, next.PastResetStreak);
    }

    public static TheoryData<string, int?, PauseSource?, RateLimitEvent?, int> MergeCases() => new()
    {
        // name, current pause end (min from T0), its source, new signal (null = fallback), expected end
        { "longer new window replaces", 30, PauseSource.ProviderReset, Rejected(90), 90 },
        { "shorter new window never shortens", 90, PauseSource.ProviderReset, Rejected(30), 90 },
        { "fallback never shortens a known longer window", 180, PauseSource.ProviderReset, null, 180 },
        { "fallback extends a shorter known window (longest wins)", 20, PauseSource.ProviderReset, null, 60 },
        { "expired pause does not count", -5, PauseSource.ProviderReset, Rejected(30), 30 },
        { "no pause: fallback gives one hour", null, null, null, 60 },
        { "past reset never shortens a window in force", 45, PauseSource.ProviderReset, Rejected(-3), 45 },
    };

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void Longest_window_wins(string name, int? currentMin, PauseSource? source, RateLimitEvent? signal, int expectedMin)
    {
        var current = currentMin is { } c ? new RuntimePause(T0.AddMinutes(c), source!.Value, T0.AddMinutes(-60)) : null;

        var decision = signal is null
            ? RateLimitPolicy.DecideFallback(current, T0)
            : RateLimitPolicy.Decide(signal, current, T0);

        Assert.Equal(RateLimitAction.Pause, decision.Action);
        Assert.True(T0.AddMinutes(expectedMin) == decision.Pause!.Until, name);
    }

    public static TheoryData<RateLimitEvent, bool, RateLimitAction> AllowedCases() => new()
    {
        // signal, a pause in force?, action
        { Allowed(), true, RateLimitAction.Clear },
        { Allowed(), false, RateLimitAction.Clear },
        { Allowed(RateLimitStatus.AllowedWarning), true, RateLimitAction.Clear },
        { Allowed(onOverage: true), true, RateLimitAction.Keep },
        { Allowed(RateLimitStatus.AllowedWarning, onOverage: true), true, RateLimitAction.Keep },
        { Allowed(onOverage: true), false, RateLimitAction.Keep },
        { Allowed(RateLimitStatus.Unknown), true, RateLimitAction.Keep },
    };

    [Theory]
    [MemberData(nameof(AllowedCases))]
    public void Allowed_clears_unless_on_overage(RateLimitEvent signal, bool paused, RateLimitAction expected)
    {
        var current = paused ? new RuntimePause(T0.AddMinutes(30), PauseSource.ProviderReset, T0, Window: "five_hour") : null;

        var decision = RateLimitPolicy.Decide(signal, current, T0);

        Assert.Equal(expected, decision.Action);
        if (expected == RateLimitAction.Clear)
        {
            Assert.Null(decision.Pause);
        }
        else
        {
            Assert.Equal(current, decision.Pause);
            Assert.Equal(paused, RateLimitPolicy.IsPaused(decision.Pause, T0));
        }
    }

    public static TheoryData<string, string?, string?, bool, RateLimitAction> WindowCases() => new()
    {
        // name, window that rejected (null: not named), window the "allowed" names, on overage, action
        { "same window: lifted", "five_hour", "five_hour", false, RateLimitAction.Clear },
        { "same window, warning only: lifted", "seven_day", "seven_day", false, RateLimitAction.Clear },
        { "the five-hour window is fine, the weekly one still rejects", "seven_day", "five_hour", false, RateLimitAction.Keep },
        { "the weekly window is fine, the five-hour one still rejects", "five_hour", "seven_day", false, RateLimitAction.Keep },
        { "a model's own weekly window is not the weekly window", "seven_day_opus", "seven_day", false, RateLimitAction.Keep },
        { "an allowed that names no window says nothing about a named one", "five_hour", null, false, RateLimitAction.Keep },
        { "a named allowed says nothing about an unnamed rejection", null, "five_hour", false, RateLimitAction.Keep },
        { "neither named: the provider's only window", null, null, false, RateLimitAction.Clear },
        { "same window on overage: dispatch stays paused", "five_hour", "five_hour", true, RateLimitAction.Keep },
        { "another window on overage: dispatch stays paused", "seven_day", "five_hour", true, RateLimitAction.Keep },
    };

    [Theory]
    [MemberData(nameof(WindowCases))]
    public void Only_an_allowed_for_the_rejected_window_lifts_its_pause(string name, string? rejected, string? allowed, bool onOverage, RateLimitAction expected)
    {
        var rejection = Rejected(90) with { RateLimitType = rejected };
        var pause = RateLimitPolicy.Decide(rejection, null, T0).Pause!;
        Assert.Equal(rejected, pause.Window);
        var signal = Allowed(onOverage: onOverage) with { RateLimitType = allowed };

        var decision = RateLimitPolicy.Decide(signal, pause, T0.AddMinutes(10));

        Assert.True(expected == decision.Action, name);
        Assert.Equal(expected == RateLimitAction.Keep ? pause : null, decision.Pause);
        Assert.Equal(rejected == allowed, RateLimitPolicy.Lifts(signal, rejected));
    }

    [Fact]
    public void Once_its_window_is_over_a_pause_is_cleared_by_any_allowed()
    {
        var pause = RateLimitPolicy.Decide(Rejected(30) with { RateLimitType = "seven_day" }, null, T0).Pause;

        Assert.Equal(RateLimitAction.Clear, RateLimitPolicy.Decide(Allowed() with { RateLimitType = null }, pause, T0.AddMinutes(31)).Action);
    }

    public static TheoryData<string, RateLimitEvent?, string?, int> WindowMergeCases() => new()
    {
        // name, what comes second (null = the assistant's fallback) after a seven_day rejection until +90 min, window kept, end
        { "a later five-hour reset takes over with its window", Rejected(120), "five_hour", 120 },
        { "an earlier five-hour reset leaves the weekly window in force", Rejected(60), "seven_day", 90 },
        { "the fallback's hour is shorter: the weekly window stays", null, "seven_day", 90 },
    };

    [Theory]
    [MemberData(nameof(WindowMergeCases))]
    public void The_window_in_force_is_the_one_of_the_longest_pause(string name, RateLimitEvent? second, string? window, int endMin)
    {
        var first = RateLimitPolicy.Decide(Rejected(90) with { RateLimitType = "seven_day" }, null, T0).Pause;

        var decision = second is null ? RateLimitPolicy.DecideFallback(first, T0) : RateLimitPolicy.Decide(second, first, T0);

        Assert.True(window == decision.Pause!.Window, name);
        Assert.Equal(T0.AddMinutes(endMin), decision.Pause.Until);
    }

    [Fact]
    public void The_fallback_names_no_window()
    {
        Assert.Null(RateLimitPolicy.DecideFallback(null, T0).Pause!.Window);
        Assert.Equal("five_hour", RateLimitPolicy.Decide(Rejected(-1), null, T0).Pause!.Window);
    }

    [Fact]
    public void A_pause_ends_exactly_at_its_end_on_a_fake_clock()
    {
        var clock = new FakeTimeProvider(T0);
        var pause = RateLimitPolicy.Decide(Rejected(10), null, clock.GetUtcNow()).Pause;

        Assert.True(RateLimitPolicy.IsPaused(pause, clock.GetUtcNow()));
        Assert.Equal(TimeSpan.FromMinutes(10), RateLimitPolicy.TimeUntilResume(pause, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.True(RateLimitPolicy.IsPaused(pause, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(RateLimitPolicy.IsPaused(pause, clock.GetUtcNow()));
        Assert.Equal(TimeSpan.Zero, RateLimitPolicy.TimeUntilResume(pause, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(TimeSpan.Zero, RateLimitPolicy.TimeUntilResume(pause, clock.GetUtcNow()));
        Assert.Equal(TimeSpan.Zero, RateLimitPolicy.TimeUntilResume(null, clock.GetUtcNow()));
    }

    [Fact]
    public void The_clock_jumping_back_never_stretches_a_pause_beyond_what_was_decided()
    {
        var clock = new ManualClock(T0);
        var pause = RateLimitPolicy.DecideFallback(null, clock.GetUtcNow()).Pause!;
        clock.Advance(TimeSpan.FromMinutes(20));

        // Someone sets the clock back three hours: the naive wait would be 3 h 40 min.
        clock.Set(clock.GetUtcNow().AddHours(-3));
        Assert.Equal(TimeSpan.FromHours(1), RateLimitPolicy.TimeUntilResume(pause, clock.GetUtcNow()));

        // The daemon keeps the rebased pause, so the cap sticks while the clock runs on.
        pause = RateLimitPolicy.Rebase(pause, clock.GetUtcNow());
        Assert.Equal(clock.GetUtcNow(), pause.DecidedAt);
        Assert.Equal(clock.GetUtcNow().AddHours(1), pause.Until);
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.True(RateLimitPolicy.IsPaused(pause, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(RateLimitPolicy.IsPaused(pause, clock.GetUtcNow()));
        Assert.Same(pause, RateLimitPolicy.Rebase(pause, clock.GetUtcNow()));
    }

    [Fact]
    public void The_clock_jumping_forward_ends_the_pause_at_once()
    {
        var pause = RateLimitPolicy.Decide(Rejected(30), null, T0).Pause;
        Assert.False(RateLimitPolicy.IsPaused(pause, T0.AddHours(5)));
    }

    [Fact]
    public void A_longer_window_in_force_is_compared_by_its_effective_end_after_a_clock_jump()
    {
        // A 2 h pause decided at T0; the clock then jumps back 5 h. Its effective end is now+2 h at most,
        // so a new 3 h provider window (absolute) replaces it.
        var current = new RuntimePause(T0.AddHours(2), PauseSource.ProviderReset, T0);
        var now = T0.AddHours(-5);
        var signal = Rejected() with { ResetsAt = now.AddHours(3) };

        var decision = RateLimitPolicy.Decide(signal, current, now);

        Assert.Equal(now.AddHours(3), decision.Pause!.Until);
    }

    [Fact]
    public void Options_change_the_default_window()
    {
        var options = new RateLimitOptions { UnknownResetWindow = TimeSpan.FromMinutes(7) };
        Assert.Equal(T0.AddMinutes(7), RateLimitPolicy.Decide(Rejected(), null, T0, options).Pause!.Until);
        Assert.Equal(T0.AddMinutes(7), RateLimitPolicy.DecideFallback(null, T0, options).Pause!.Until);
    }
}
