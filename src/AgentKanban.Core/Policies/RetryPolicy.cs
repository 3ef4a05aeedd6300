namespace AgentKanban.Core.Policies;

/// <summary>The answer of a <see cref="RetryPolicy"/>: try again at <see cref="At"/>, or give up.</summary>
public sealed record RetryDecision(bool ShouldRetry, DateTimeOffset? At, TimeSpan Delay, string Reason)
{
    public static RetryDecision GiveUp(string reason) => new(false, null, TimeSpan.Zero, reason);
}

/// <summary>
/// Capped exponential backoff with jitter. Given how many times something has failed and what kind of
/// failure the last one was, says when to try again. Pure apart from the injected jitter source; the
/// caller persists the attempt number and the due time.
/// </summary>
public sealed class RetryPolicy(RetryOptions options, IJitterSource jitter)
{
    public RetryOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <param name="attempt">Failures so far, including this one (1 after the first failure).</param>
    public RetryDecision Decide(int attempt, ErrorClass error, DateTimeOffset now)
    {
        if (error == ErrorClass.Terminal)
        {
            return RetryDecision.GiveUp("terminal failure");
        }

        if (Options.MaxAttempts > 0 && attempt >= Options.MaxAttempts)
        {
            return RetryDecision.GiveUp($"gave up after {attempt} attempts");
        }

        var delay = Delay(attempt, Options, jitter.NextUnit());
        return new(true, now + delay, delay, $"attempt {attempt}: retry in {delay}");
    }

    /// <summary>
    /// min(max, base·2^(attempt−1)) with up to <see cref="RetryOptions.JitterFraction"/> of it taken off:
    /// jitter only ever shortens, so the cap holds.
    /// </summary>
    public static TimeSpan Delay(int attempt, RetryOptions options, double jitterUnit)
    {
        ArgumentNullException.ThrowIfNull(options);
        var baseTicks = Math.Max(options.BaseDelay.Ticks, 0);
        var maxTicks = Math.Max(options.MaxDelay.Ticks, baseTicks);
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        // Compare before shifting so a large attempt number cannot overflow.
        var ticks = baseTicks > (maxTicks >> exponent) ? maxTicks : Math.Min(baseTicks << exponent, maxTicks);
        var unit = Math.Clamp(jitterUnit, 0, 1);
        var fraction = Math.Clamp(options.JitterFraction, 0, 1);
        return TimeSpan.FromTicks((long)(ticks * (1 - (fraction * unit))));
    }
}
