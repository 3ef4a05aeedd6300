using AgentKanban.Contracts;

namespace AgentKanban.Daemon.Outbox;

/// <summary>What the outbox does with a report the server did not acknowledge.</summary>
public enum DeliveryAction
{
    /// <summary>Send it again later (with backoff); the reports of its session wait behind it.</summary>
    Retry,

    /// <summary>Set it aside for good, with the reason and time: never sent again, and nothing waits for it any more.</summary>
    DeadLetter,
}

/// <param name="StopsPass">
/// The server is unreachable or struggling: every report would fail the same way now, so the delivery pass stops here.
/// </param>
/// <param name="Reason">Why, in words for the log and <c>ak daemon status</c>.</param>
public sealed record DeliveryDecision(DeliveryAction Action, bool StopsPass, string Reason);

/// <summary>
/// The outbox's rules for a report the server did not acknowledge. Reports are retried until acknowledged when the
/// failure can pass (no answer, a timeout, 5xx, 429: an outage of any length loses nothing), and set aside as dead letters
/// when sending the same request again can never succeed:
/// <list type="bullet">
/// <item>the request itself is unacceptable (400, 411, 413, 414, 415, 422, 431) — whoever said it, the same bytes get the
/// same answer;</item>
/// <item>the report is moot (409 <c>stale_epoch</c>: the task was leased again since; <c>illegal_transition</c>: the task
/// is no longer where the report applies; <c>lease_held</c>: another machine holds it);</item>
/// <item>any other refusal in the server's own error shape (401, 403, 404, …): the server looked at it and said no.</item>
/// </list>
/// Two refusals may pass on a later try and get a bounded number of them: a plain 409 <c>conflict</c> (a concurrent change
/// of a row the request refers to) and a 4xx not in the server's error shape (something between the daemon and the
/// server, such as a proxy being reconfigured). Pure.
/// </summary>
public static class DeliveryFailures
{
    /// <summary>Attempts a plain conflict gets (about 15 s with the outbox's backoff) before it is set aside.</summary>
    public const int ConflictAttempts = 5;

    /// <summary>Attempts a refusal from something other than the server gets (about an hour with the outbox's backoff).</summary>
    public const int ForeignRefusalAttempts = 20;

    /// <param name="status">The HTTP status of the answer; null when none came (network, timeout).</param>
    /// <param name="errorCode">The server's error code when the answer was in its error shape; null for any other answer.</param>
    /// <param name="attempt">Failed attempts of this report so far, this one included.</param>
    public static DeliveryDecision Decide(int? status, string? errorCode, int attempt)
    {
        switch (status)
        {
            case null:
                return new(DeliveryAction.Retry, true, "no answer from the server");
            case 408 or 425 or 429 or >= 500:
                return new(DeliveryAction.Retry, true, "the server is busy or failing");
            case 400 or 411 or 413 or 414 or 415 or 422 or 431:
                return new(DeliveryAction.DeadLetter, false, "refused for good: the request cannot be taken as it is");
            case 409:
                return errorCode switch
                {
                    ErrorCodes.StaleEpoch => new(DeliveryAction.DeadLetter, false, "moot: the task was leased again since"),
                    ErrorCodes.IllegalTransition => new(DeliveryAction.DeadLetter, false, "moot: the task is no longer where the report applies"),
                    ErrorCodes.LeaseHeld => new(DeliveryAction.DeadLetter, false, "moot: another machine holds the task's lease"),
                    _ => Bounded(attempt, ConflictAttempts, "a conflict"),
                };
            case >= 400 and < 500 when errorCode is not null:
                return new(DeliveryAction.DeadLetter, false, "refused for good by the server");
            default:
                return Bounded(attempt, ForeignRefusalAttempts, "a refusal that is not the server's own");
        }
    }

    private static DeliveryDecision Bounded(int attempt, int attempts, string what) => attempt < attempts
        ? new(DeliveryAction.Retry, false, $"{what}; it may pass on a later try")
        : new(DeliveryAction.DeadLetter, false, $"refused for good: still {what} after {attempt} attempts");
}
