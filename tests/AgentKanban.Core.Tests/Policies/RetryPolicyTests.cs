using AgentKanban.Core.Policies;

namespace AgentKanban.Core.Tests.Policies;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class FixedJitter(double unit) : IJitterSource
    {
        public double NextUnit() => unit;
    }

    private static readonly RetryOptions Options = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), 6, 0.5);

    public static TheoryData<int, double, double> DelayCases() => new()
    {
        // attempt, jitter unit, expected delay in seconds
        { 1, 0.0, 10 },
        { 2, 0.0, 20 },
        { 3, 0.0, 40 },
        { 5, 0.0, 160 },
        { 6, 0.0, 300 },      // capped
        { 40, 0.0, 300 },     // large attempts cannot overflow
        { 1000, 0.0, 300 },
        { 0, 0.0, 10 },       // nonsense attempt numbers read as the first
        { -3, 0.0, 10 },
        { 1, 0.5, 7.5 },      // jitter only shortens: half of the 50 % fraction
        { 1, 0.999999, 5.000005 },
        { 6, 1.0, 150 },      // the cap minus the full jitter fraction
        { 2, 2.0, 10 },       // a misbehaving source is clamped
        { 2, -1.0, 20 },
    };

    [Theory]
    [MemberData(nameof(DelayCases))]
    public void Delay_is_capped_exponential_with_jitter(int attempt, double unit, double expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds).TotalMilliseconds, RetryPolicy.Delay(attempt, Options, unit).TotalMilliseconds, 3);
    }

    public static TheoryData<int, ErrorClass, bool> DecisionCases() => new()
    {
        { 1, ErrorClass.Transient, true },
        { 5, ErrorClass.Transient, true },
        { 6, ErrorClass.Transient, false },  // MaxAttempts reached
        { 9, ErrorClass.Transient, false },
        { 1, ErrorClass.Terminal, false },   // never retried
        { 1, ErrorClass.None, true },
    };

    [Theory]
    [MemberData(nameof(DecisionCases))]
    public void Decide_retries_transient_failures_until_the_budget_is_spent(int attempt, ErrorClass error, bool retry)
    {
        var policy = new RetryPolicy(Options, new FixedJitter(0));

        var decision = policy.Decide(attempt, error, T0);

        Assert.Equal(retry, decision.ShouldRetry);
        Assert.False(string.IsNullOrEmpty(decision.Reason));
        if (retry)
        {
            Assert.Equal(T0 + RetryPolicy.Delay(attempt, Options, 0), decision.At);
        }
        else
        {
            Assert.Null(decision.At);
        }
    }

    [Fact]
    public void Unlimited_attempts_keep_retrying_at_the_cap()
    {
        var policy = new RetryPolicy(RetryOptions.Outbox, new FixedJitter(0));
        var decision = policy.Decide(10_000, ErrorClass.Transient, T0);
        Assert.True(decision.ShouldRetry);
        Assert.Equal(RetryOptions.Outbox.MaxDelay, decision.Delay);
    }

    [Fact]
    public void Jitter_comes_from_the_injected_source()
    {
        var seeded = new RetryPolicy(Options, new RandomJitter(new Random(7)));
        var again = new RetryPolicy(Options, new RandomJitter(new Random(7)));
        var delays = Enumerable.Range(1, 5).Select(a => seeded.Decide(a, ErrorClass.Transient, T0).Delay).ToArray();

        Assert.Equal(delays, Enumerable.Range(1, 5).Select(a => again.Decide(a, ErrorClass.Transient, T0).Delay));
        Assert.All(delays.Select((d, i) => (d, i)), x =>
        {
            var full = RetryPolicy.Delay(x.i + 1, Options, 0);
            Assert.InRange(x.d, full / 2, full);
        });
    }

    [Fact]
    public void A_due_time_survives_the_clock_jumping_back()
    {
        var clock = new ManualClock(T0);
        var policy = new RetryPolicy(Options, new FixedJitter(0));
        var decidedAt = clock.GetUtcNow();
        var at = policy.Decide(3, ErrorClass.Transient, decidedAt).At!.Value;

        clock.Set(T0.AddHours(-2));

        Assert.Equal(TimeSpan.FromSeconds(40), DueTime.Remaining(at, decidedAt, clock.GetUtcNow()));
    }

    [Fact]
    public void Presets_are_sane()
    {
        foreach (var preset in new[] { RetryOptions.AgentRun, RetryOptions.Outbox, RetryOptions.Resume })
        {
            Assert.True(preset.BaseDelay > TimeSpan.Zero);
            Assert.True(preset.MaxDelay >= preset.BaseDelay);
            Assert.InRange(preset.JitterFraction, 0, 1);
        }
    }
}
