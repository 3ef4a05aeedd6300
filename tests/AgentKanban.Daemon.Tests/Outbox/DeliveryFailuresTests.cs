using AgentKanban.Daemon.Outbox;

namespace AgentKanban.Daemon.Tests.Outbox;

public sealed class DeliveryFailuresTests
{
    public static TheoryData<string, int?, string?, int, DeliveryAction, bool> Cases() => new()
    {
        // name, HTTP status (null: no answer), the server's error code (null: not its error shape), attempt, action, stops the pass
        { "no answer (network, timeout)", null, null, 1, DeliveryAction.Retry, true },
        { "no answer, however long it lasts", null, null, 500, DeliveryAction.Retry, true },
        { "server error", 500, "internal_error", 1, DeliveryAction.Retry, true },
        { "a proxy's 502 page", 502, null, 40, DeliveryAction.Retry, true },
        { "unavailable", 503, null, 1, DeliveryAction.Retry, true },
        { "too many requests", 429, null, 100, DeliveryAction.Retry, true },
        { "request timeout", 408, null, 1, DeliveryAction.Retry, true },
        { "too early", 425, null, 1, DeliveryAction.Retry, true },
        // The request itself is unacceptable: whoever says so, the same bytes get the same answer.
        { "bad request", 400, "bad_request", 1, DeliveryAction.DeadLetter, false },
        { "invalid field", 400, "validation_failed", 1, DeliveryAction.DeadLetter, false },
        { "too large", 413, "payload_too_large", 1, DeliveryAction.DeadLetter, false },
        { "too large, said by a proxy", 413, null, 1, DeliveryAction.DeadLetter, false },
        { "bad request, said by a proxy", 400, null, 1, DeliveryAction.DeadLetter, false },
        { "not JSON", 415, "bad_request", 1, DeliveryAction.DeadLetter, false },
        { "URI too long", 414, null, 1, DeliveryAction.DeadLetter, false },
        { "headers too large", 431, null, 1, DeliveryAction.DeadLetter, false },
        { "unprocessable", 422, null, 1, DeliveryAction.DeadLetter, false },
        // Moot: what the report would change has moved on.
        { "stale epoch", 409, "stale_epoch", 1, DeliveryAction.DeadLetter, false },
        { "illegal transition", 409, "illegal_transition", 1, DeliveryAction.DeadLetter, false },
        { "lease held by another machine", 409, "lease_held", 1, DeliveryAction.DeadLetter, false },
        // A plain conflict may be a concurrent change: a few more tries.
        { "conflict, first time", 409, "conflict", 1, DeliveryAction.Retry, false },
        { "conflict, last retry", 409, "conflict", DeliveryFailures.ConflictAttempts - 1, DeliveryAction.Retry, false },
        { "conflict, out of tries", 409, "conflict", DeliveryFailures.ConflictAttempts, DeliveryAction.DeadLetter, false },
        { "conflict without the server's shape", 409, null, 1, DeliveryAction.Retry, false },
        // The server's own refusals.
        { "unauthorized", 401, "unauthorized", 1, DeliveryAction.DeadLetter, false },
        { "forbidden", 403, "forbidden", 1, DeliveryAction.DeadLetter, false },
        { "not found", 404, "not_found", 1, DeliveryAction.DeadLetter, false },
        { "method not allowed", 405, "bad_request", 1, DeliveryAction.DeadLetter, false },
        { "gone", 410, "not_found", 1, DeliveryAction.DeadLetter, false },
        // Refusals from something in between: an hour of tries before giving up.
        { "a proxy's 404", 404, null, 1, DeliveryAction.Retry, false },
        { "a proxy's 401", 401, null, DeliveryFailures.ForeignRefusalAttempts - 1, DeliveryAction.Retry, false },
        { "a proxy's 403, out of tries", 403, null, DeliveryFailures.ForeignRefusalAttempts, DeliveryAction.DeadLetter, false },
        { "an odd redirect", 302, null, 1, DeliveryAction.Retry, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_between_another_try_and_a_dead_letter(string name, int? status, string? code, int attempt, DeliveryAction action, bool stopsPass)
    {
        var decision = DeliveryFailures.Decide(status, code, attempt);

        Assert.True(action == decision.Action, $"{name}: {decision.Action} ({decision.Reason})");
        Assert.True(stopsPass == decision.StopsPass, name);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }
}
