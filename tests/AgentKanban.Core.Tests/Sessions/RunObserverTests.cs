using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Core.Tests.Sessions;

public sealed class RunObserverTests
{
    private static readonly DateTimeOffset Reset = new(2026, 3, 1, 17, 0, 0, TimeSpan.Zero);

    private static RateLimitEvent Limit(RateLimitStatus status, bool overage = false, string? window = "five_hour") =>
        new(status, Reset, window, overage, null, null, null);

    private static RunObserver Observe(params AgentEvent[] events)
    {
        var observer = new RunObserver();
        foreach (var e in events)
        {
            observer.Observe(e);
        }

        return observer;
    }

    public static TheoryData<AgentEvent[], bool> RateLimitCases() => new()
    {
        { [], false },
        { [Limit(RateLimitStatus.Rejected)], true },
        { [Limit(RateLimitStatus.Rejected), Limit(RateLimitStatus.Allowed)], false },
        { [Limit(RateLimitStatus.Rejected), Limit(RateLimitStatus.AllowedWarning)], false },
        { [Limit(RateLimitStatus.Rejected), Limit(RateLimitStatus.Allowed, overage: true)], true },  // on overage: still limited
        { [Limit(RateLimitStatus.Rejected), Limit(RateLimitStatus.Unknown)], true },
        { [new AgentError("rate_limit", "limit", true)], true },
        { [Limit(RateLimitStatus.Allowed), new AgentError("rate_limit", "limit", true)], true },
        // Only an "allowed" for the window that rejected lifts the rejection.
        { [Limit(RateLimitStatus.Rejected, window: "seven_day"), Limit(RateLimitStatus.Allowed)], true },
        { [Limit(RateLimitStatus.Rejected, window: "seven_day"), Limit(RateLimitStatus.Allowed, window: null)], true },
        { [Limit(RateLimitStatus.Rejected, window: "seven_day"), Limit(RateLimitStatus.Allowed, window: "seven_day")], false },
        { [new AgentError("rate_limit", "limit", true), Limit(RateLimitStatus.Allowed)], true },
        { [new AgentError("rate_limit", "limit", true), Limit(RateLimitStatus.Allowed, window: null)], false },
        { [Limit(RateLimitStatus.Rejected), new AgentError("rate_limit", "limit", true), Limit(RateLimitStatus.Allowed)], true },
    };

    [Theory]
    [MemberData(nameof(RateLimitCases))]
    public void Tracks_whether_the_run_is_rate_limited(AgentEvent[] events, bool limited)
    {
        Assert.Equal(limited, Observe(events).RateLimited);
    }

    [Fact]
    public void Collects_result_usage_cost_and_resume_token()
    {
        var observer = Observe(
            new SessionInitialized("provider-1", "m", "/w"),
            TurnStarted.Instance,
            new TextBlock("hi"),
            new TurnEnded(false, new TokenUsage(1, 2, 3, 4), 0.5m, null, "success", null, 1, 10),
            new TurnEnded(true, new TokenUsage(10, 20, 30, 40), 0.75m, "provider-2", "success", null, 1, 10));

        Assert.True(observer.ResultReceived);
        Assert.True(observer.ResultIsError);
        Assert.Equal(new TokenUsage(11, 22, 33, 44), observer.Usage);
        Assert.Equal(0.75m, observer.CostUsd);
        Assert.Equal("provider-2", observer.ResumeToken);
        Assert.Equal(5, observer.EventCount);
    }

    [Fact]
    public void Errors_keep_the_worst_class()
    {
        var observer = Observe(new AgentError("server_error", "503", false));
        Assert.Equal(ErrorClass.Transient, observer.Failure);
        observer.Observe(new AgentError("authentication_failed", "401", false));
        Assert.Equal(ErrorClass.Terminal, observer.Failure);
        observer.Observe(new AgentError("overloaded", "529", false));
        Assert.Equal(ErrorClass.Terminal, observer.Failure);
        Assert.Equal("overloaded", observer.LastError!.Code);
        Assert.Equal(ErrorClass.Terminal, Observe(new AgentError(null, "no code", false)).Failure);
    }

    [Fact]
    public void A_rate_limited_crash_classifies_as_rate_limited()
    {
        var observer = Observe(
            new SessionInitialized("p", null, null),
            Limit(RateLimitStatus.Rejected),
            new AgentError("server_error", "boom", false),
            new TurnEnded(true, TokenUsage.Zero, 0, "p", "success", null, 1, 1));

        var verdict = RunOutcome.Classify(observer.ToFacts(RunExit.ExitCode, RunStop.None, TaskView.InProgress));

        Assert.Equal(SessionTrigger.EndedRateLimited, verdict.Trigger);
        Assert.Equal(Reset, observer.LastRejection!.ResetsAt);
    }
}
