namespace AgentKanban.Core.Policies;

/// <summary>
/// Clock-safe reading of a stored due time. A due time is decided as "now + some wait". If the wall
/// clock later jumps back (before the decision time), the naive remaining wait (<c>due - now</c>) grows
/// past the wait that was decided. <see cref="Rebase"/> detects that and re-anchors the decision at the
/// present, capping the remaining wait at the decided one; the store persists the rebased pair so the
/// correction sticks. A clock jumping forward simply makes things due sooner.
/// </summary>
public static class DueTime
{
    /// <summary>
    /// The (due, decidedAt) pair to use from now on. Unchanged unless the clock is earlier than the
    /// decision; then the decision moves to <paramref name="now"/> and the wait left is at most the decided one.
    /// </summary>
    public static (DateTimeOffset Due, DateTimeOffset DecidedAt) Rebase(DateTimeOffset due, DateTimeOffset decidedAt, DateTimeOffset now)
    {
        if (now >= decidedAt)
        {
            return (due, decidedAt);
        }

        var decidedWait = due - decidedAt;
        if (decidedWait <= TimeSpan.Zero)
        {
            return (due, now);
        }

        var capped = now + decidedWait;
        return (capped < due ? capped : due, now);
    }

    /// <summary>The due time in force at <paramref name="now"/> (see <see cref="Rebase"/>).</summary>
    public static DateTimeOffset Effective(DateTimeOffset due, DateTimeOffset decidedAt, DateTimeOffset now) =>
        Rebase(due, decidedAt, now).Due;

    /// <summary>Time left until the effective due time; zero once it has passed.</summary>
    public static TimeSpan Remaining(DateTimeOffset due, DateTimeOffset decidedAt, DateTimeOffset now)
    {
        var left = Effective(due, decidedAt, now) - now;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    public static bool HasPassed(DateTimeOffset due, DateTimeOffset decidedAt, DateTimeOffset now) =>
        now >= Effective(due, decidedAt, now);
}
